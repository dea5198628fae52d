//! Conversions to and from the codec's wire types (DESIGN §2: the auth crate uses the codec
//! only for shared types): SFIDCIPH → [`Suite`], and envelope or suite errors → the
//! SFNA/EFNA reason the receiver answers with.

use oftp2_codec::{CipherSuite, EfnaReason, FileDate, FileTime, SfnaReason};

use crate::error::{EnvelopeError, ReceiptError, UnsupportedSuite};
use crate::suite::Suite;

impl TryFrom<CipherSuite> for Suite {
    type Error = UnsupportedSuite;

    /// SFIDCIPH 01-06 (RFC 5024 §5.3.3, §10.2); 00 and 07+ are refused (SFNA 15).
    fn try_from(c: CipherSuite) -> Result<Self, UnsupportedSuite> {
        Suite::from_code(c.code())
    }
}

impl From<Suite> for CipherSuite {
    fn from(s: Suite) -> Self {
        CipherSuite::new(s.code()).unwrap_or(CipherSuite::NONE)
    }
}

impl From<&EnvelopeError> for EfnaReason {
    /// EFNA 21 invalid signature, 22 decryption failure, 23 decompression failure, 15
    /// unsupported suite, 99 otherwise (RFC 5024 §5.3.10).
    fn from(e: &EnvelopeError) -> Self {
        EfnaReason::new(e.efna_reason()).unwrap_or(EfnaReason::UNSPECIFIED)
    }
}

impl From<&UnsupportedSuite> for SfnaReason {
    /// SFNA 15, cipher suite not supported (RFC 5024 §5.3.5).
    fn from(_: &UnsupportedSuite) -> Self {
        SfnaReason::CIPHER_SUITE_NOT_SUPPORTED
    }
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Unix time (UTC) of a virtual file's date and time stamp (RFC 5024 §5.3.3; the RFC
/// names no time zone, UTC is assumed).
#[must_use]
pub fn file_stamp_unix(date: FileDate, time: FileTime) -> i64 {
    days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    ) * 86_400
        + i64::from(time.hour()) * 3600
        + i64::from(time.minute()) * 60
        + i64::from(time.second())
}

/// Refuses a receipt for a file stamped more than `max_age_secs` before `now_unix` (the
/// maximum receipt age the application sets; the receipt's EERPDATE/EERPTIME or
/// NERPDATE/NERPTIME). A stamp in the future is not refused here.
pub fn check_receipt_age(
    date: FileDate,
    time: FileTime,
    now_unix: u64,
    max_age_secs: u64,
) -> Result<(), ReceiptError> {
    let stamp = file_stamp_unix(date, time);
    let now = i64::try_from(now_unix).unwrap_or(i64::MAX);
    let age = now.saturating_sub(stamp);
    match u64::try_from(age) {
        Ok(age_secs) if age_secs > max_age_secs => Err(ReceiptError::TooOld {
            age_secs,
            max_age_secs,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_and_reasons() {
        assert_eq!(
            Suite::try_from(CipherSuite::AES256_RSA_SHA256).map(Suite::code),
            Ok(4)
        );
        assert!(Suite::try_from(CipherSuite::new(7).unwrap()).is_err());
        assert!(Suite::try_from(CipherSuite::NONE).is_err());
        let e = Suite::try_from(CipherSuite::new(9).unwrap()).unwrap_err();
        assert_eq!(SfnaReason::from(&e), SfnaReason::CIPHER_SUITE_NOT_SUPPORTED);
        for code in 1..=6 {
            let s = Suite::from_code(code).unwrap();
            assert_eq!(CipherSuite::from(s), CipherSuite::new(code).unwrap());
        }
        // 2026-11-23 12:00:00 UTC is 1 795 435 200 s after the epoch.
        let (date, time) = (
            FileDate::new(2026, 11, 23).unwrap(),
            FileTime::new(12, 0, 0, 1).unwrap(),
        );
        assert_eq!(file_stamp_unix(date, time), 1_795_435_200);
        assert_eq!(
            file_stamp_unix(
                FileDate::new(1970, 1, 1).unwrap(),
                FileTime::new(0, 0, 0, 1).unwrap()
            ),
            0
        );
        assert!(check_receipt_age(date, time, 1_795_435_200 + 3600, 3600).is_ok());
        assert!(matches!(
            check_receipt_age(date, time, 1_795_435_200 + 3601, 3600),
            Err(ReceiptError::TooOld {
                age_secs: 3601,
                max_age_secs: 3600
            })
        ));
        assert!(
            check_receipt_age(date, time, 0, 10).is_ok(),
            "a future stamp is not too old"
        );
        let d = EnvelopeError::CouldNotDecrypt;
        assert_eq!(EfnaReason::from(&d), EfnaReason::DECRYPTION_FAILURE);
    }
}
