//! Field types of the OFTP2 commands (RFC 5024 §5.1, §5.3, §5.4, Appendix B).
//!
//! Every type validates on construction, so a command made of them always encodes to a valid
//! exchange buffer. Values that a lenient decoder accepted (see [`crate::Leniency`]) keep their
//! wire bytes, so they are echoed unchanged.

use core::fmt;

use crate::error::ValidationError;

/// Whether `b` is in the X(n) character set of RFC 5024 §5.3 and Appendix B:
/// `0-9 A-Z / - . & ( )` and space.
#[must_use]
pub const fn is_x_char(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'A'..=b'Z' | b'/' | b'-' | b'.' | b'&' | b'(' | b')' | b' ')
}

/// Checks a strict X(n) value: at most `n` characters of the set, no leading or embedded
/// space (values are left-justified; trailing spaces are padding).
fn validate_x(field: &'static str, value: &str, n: usize) -> Result<(), ValidationError> {
    let bytes = value.as_bytes();
    let content = value.trim_end_matches(' ');
    if bytes.len() > n {
        return Err(ValidationError::new(field, n, "too long"));
    }
    for (i, &b) in content.as_bytes().iter().enumerate() {
        if b == b' ' {
            return Err(ValidationError::new(
                field,
                i,
                "leading or embedded space (values are left-justified, no inner spaces)",
            ));
        }
        if !is_x_char(b) {
            return Err(ValidationError::new(
                field,
                i,
                "character outside 0-9 A-Z / - . & ( ) (RFC 5024 §5.3, Appendix B)",
            ));
        }
    }
    Ok(())
}

/// An X(n) alphanumeric field (RFC 5024 §5.3): left-justified, space-padded, characters
/// `0-9 A-Z / - . & ( )` and space, no embedded space.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Alnum<const N: usize> {
    bytes: [u8; N],
}

impl<const N: usize> Alnum<N> {
    /// Validates `value` strictly and pads it with spaces to `N` octets.
    pub fn new(value: &str) -> Result<Self, ValidationError> {
        validate_x("X(n)", value, N)?;
        let mut bytes = [b' '; N];
        if let Some(dst) = bytes.get_mut(..value.len()) {
            dst.copy_from_slice(value.as_bytes());
        }
        Ok(Self { bytes })
    }

    /// A field of spaces (an unused optional value).
    #[must_use]
    pub const fn blank() -> Self {
        Self { bytes: [b' '; N] }
    }

    /// Wraps wire bytes that the decoder has already checked (printable ASCII).
    pub(crate) const fn from_wire(bytes: [u8; N]) -> Self {
        Self { bytes }
    }

    /// The value without its padding.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Always ASCII: constructors validate, the decoder admits only 0x20..=0x7E.
        core::str::from_utf8(&self.bytes)
            .unwrap_or("")
            .trim_end_matches(' ')
    }

    /// The padded wire form, exactly `N` octets.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; N] {
        &self.bytes
    }

    /// Whether the value contains only spaces.
    #[must_use]
    pub fn is_blank(&self) -> bool {
        self.bytes.iter().all(|&b| b == b' ')
    }

    /// Whether the value meets the strict rules (it may not if a lenient decoder accepted it).
    #[must_use]
    pub fn is_strict(&self) -> bool {
        validate_x("X(n)", self.as_str(), N).is_ok()
    }
}

impl<const N: usize> Default for Alnum<N> {
    fn default() -> Self {
        Self::blank()
    }
}

impl<const N: usize> fmt::Debug for Alnum<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for Alnum<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! alnum_newtype {
    ($(#[$meta:meta])* $name:ident, $n:literal, $label:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(Alnum<$n>);

        impl $name {
            /// Validates the value strictly (RFC 5024 §5.3 X(n) rules) and pads it.
            pub fn new(value: &str) -> Result<Self, ValidationError> {
                validate_x($label, value, $n)?;
                Alnum::new(value).map(Self)
            }

            /// The value without its padding.
            #[must_use]
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// The padded wire form.
            #[must_use]
            pub const fn as_bytes(&self) -> &[u8; $n] {
                self.0.as_bytes()
            }

            /// Whether the value meets the strict rules.
            #[must_use]
            pub fn is_strict(&self) -> bool {
                self.0.is_strict()
            }

            pub(crate) const fn from_alnum(a: Alnum<$n>) -> Self {
                Self(a)
            }
        }

        impl core::str::FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }
    };
}

alnum_newtype!(
    /// An ODETTE identification code, X(25) (RFC 5024 §5.4): SSIDCODE, SFIDDEST, SFIDORIG,
    /// EERPDEST/ORIG, NERPDEST/ORIG/CREA.
    ///
    /// The SIO layout is `O` (ODETTE-assigned; other values denote non-ODETTE codes),
    /// ICD 9(4), organisation code X(14) and computer subaddress X(6); the accessors split
    /// the value at those positions. Only the X(25) rules are enforced, since non-ODETTE codes
    /// are allowed.
    OdetteId,
    25,
    "OdetteId X(25)"
);

impl OdetteId {
    /// SIOOID, position 0: `O` for an ODETTE-assigned organisation identifier.
    #[must_use]
    pub fn identifier(&self) -> u8 {
        self.as_bytes()[0]
    }
    /// SIOICD, positions 1-4: the International Code Designator.
    #[must_use]
    pub fn icd(&self) -> &str {
        slice_str(self.as_bytes(), 1, 5)
    }
    /// SIOORG, positions 5-18: the organisation code (padding removed).
    #[must_use]
    pub fn organisation(&self) -> &str {
        slice_str(self.as_bytes(), 5, 19)
    }
    /// SIOCSA, positions 19-24: the computer subaddress (padding removed).
    #[must_use]
    pub fn subaddress(&self) -> &str {
        slice_str(self.as_bytes(), 19, 25)
    }
}

fn slice_str(bytes: &[u8], from: usize, to: usize) -> &str {
    bytes
        .get(from..to)
        .and_then(|b| core::str::from_utf8(b).ok())
        .unwrap_or("")
        .trim_end_matches(' ')
}

impl fmt::Debug for OdetteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
impl fmt::Display for OdetteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

alnum_newtype!(
    /// A virtual file dataset name, X(26) (RFC 5024 §1.5.2, §5.3.3 SFIDDSN).
    ///
    /// Strictly upper case; [`VirtualFileName::new_uppercased`] upper-cases first, since some
    /// products only accept upper-case names.
    VirtualFileName,
    26,
    "virtual file name X(26)"
);

impl VirtualFileName {
    /// Upper-cases `value`, then validates it as [`VirtualFileName::new`] does.
    pub fn new_uppercased(value: &str) -> Result<Self, ValidationError> {
        Self::new(&value.to_ascii_uppercase())
    }
}

impl fmt::Debug for VirtualFileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
impl fmt::Display for VirtualFileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

alnum_newtype!(
    /// User data, X(8) (RFC 5024 §5.3.2 SSIDUSER, §5.3.3 SFIDUSER, §5.3.13 EERPUSER):
    /// bilateral meaning, spaces when unused.
    UserData,
    8,
    "user data X(8)"
);

impl fmt::Debug for UserData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
impl fmt::Display for UserData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

alnum_newtype!(
    /// A session password, X(8) (RFC 5024 §5.3.2 SSIDPSWD). `Debug` redacts it and there is
    /// no `Display`: use [`Password::expose`] where the value is really needed.
    Password,
    8,
    "password X(8)"
);

impl Password {
    /// The password, for comparing it with the configured one.
    #[must_use]
    pub fn expose(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

const fn pow10(n: usize) -> u64 {
    let mut v = 1u64;
    let mut i = 0;
    while i < n {
        v *= 10;
        i += 1;
    }
    v
}

/// A numeric 9(N) field (RFC 5024 §5.3): `N` decimal digits, right-justified, zero-padded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Decimal<const N: usize>(u64);

/// A 17-digit count: SFIDREST, SFPAACNT, EFIDRCNT, EFIDUCNT.
pub type Count17 = Decimal<17>;
/// A 13-digit size in 1K blocks: SFIDFSIZ, SFIDOSIZ.
pub type Blocks13 = Decimal<13>;

impl<const N: usize> Decimal<N> {
    /// The largest value, `10^N - 1`.
    pub const MAX: u64 = pow10(N) - 1;
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// Checks `value <= 10^N - 1`.
    pub fn new(value: u64) -> Result<Self, ValidationError> {
        if value > Self::MAX {
            Err(ValidationError::new(
                "9(n)",
                0,
                "more digits than the field holds",
            ))
        } else {
            Ok(Self(value))
        }
    }

    /// The value, saturated at [`Self::MAX`] (for sizes that are only estimates).
    #[must_use]
    pub const fn saturating(value: u64) -> Self {
        if value > Self::MAX {
            Self(Self::MAX)
        } else {
            Self(value)
        }
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl<const N: usize> fmt::Debug for Decimal<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
impl<const N: usize> fmt::Display for Decimal<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// SSIDSDEB, the data exchange buffer size (RFC 5024 §5.3.2): 128..=99999 octets, counting
/// the command octet but not the Stream Transmission Header.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct BufferSize(u32);

impl BufferSize {
    /// The smallest size the RFC allows.
    pub const MIN: Self = Self(128);
    /// The largest size the RFC allows.
    pub const MAX: Self = Self(99_999);

    /// Checks `128 <= size <= 99999`.
    pub fn new(size: u32) -> Result<Self, ValidationError> {
        if (128..=99_999).contains(&size) {
            Ok(Self(size))
        } else {
            Err(ValidationError::new(
                "SSIDSDEB",
                0,
                "buffer size outside 128..=99999",
            ))
        }
    }

    /// The size in octets.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for BufferSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// SSIDCRED, the credit window (RFC 5024 §5.3.2, §4.4): 1..=999 data exchange buffers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Credit(u16);

impl Credit {
    /// The largest credit.
    pub const MAX: Self = Self(999);
    /// The smallest credit, 1 (the credit special logic forces: RFC 5024 C.2.5.1).
    pub const MIN: Self = Self(1);

    /// Checks `1 <= credit <= 999` (a credit of zero would stall every transfer).
    pub fn new(credit: u16) -> Result<Self, ValidationError> {
        if (1..=999).contains(&credit) {
            Ok(Self(credit))
        } else {
            Err(ValidationError::new(
                "SSIDCRED",
                0,
                "credit outside 1..=999",
            ))
        }
    }

    /// The number of buffers.
    #[must_use]
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Credit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// SSIDLEV, the protocol release level, 9(1) (RFC 5024 §5.3.2). Any digit is kept: the level
/// is negotiated down to the lowest, and future levels are higher.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ProtocolLevel(u8);

impl ProtocolLevel {
    /// `1`: revision 1.2 (and RFC 2204's 1.3, which also sends `1`).
    pub const V1_2: Self = Self(1);
    /// `2`: revision 1.3.
    pub const V1_3: Self = Self(2);
    /// `4`: revision 1.4.
    pub const V1_4: Self = Self(4);
    /// `5`: OFTP 2.0, RFC 5024.
    pub const V2_0: Self = Self(5);

    /// Checks `level <= 9`.
    pub fn new(level: u8) -> Result<Self, ValidationError> {
        if level <= 9 {
            Ok(Self(level))
        } else {
            Err(ValidationError::new("SSIDLEV", 0, "level is one digit"))
        }
    }

    /// The digit's value.
    #[must_use]
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date `days` after 1970-01-01, as (year, month, day).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // doy is 0..=365 and mp 0..=11 for days >= -719_468, so both fit: day 1..=31,
    // month 1..=12.
    let day = u8::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u8::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The virtual-file stamp SFIDDATE + SFIDTIME for a moment given in Unix seconds (UTC;
/// RFC 5024 §5.3.3 names no time zone) with the §5.3.3 counter `0001..=9999` that tells
/// apart files stamped in the same second. See [`FileStamper`] to get the counter right.
pub fn file_stamp(
    unix_seconds: u64,
    counter: u16,
) -> Result<(FileDate, FileTime), ValidationError> {
    let days = i64::try_from(unix_seconds / 86_400)
        .map_err(|_| ValidationError::new("CCYYMMDD", 0, "year above 9999"))?;
    let secs = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    let year =
        u16::try_from(year).map_err(|_| ValidationError::new("CCYYMMDD", 0, "year above 9999"))?;
    let date = FileDate::new(year, month, day)?;
    let time = FileTime::new(
        (secs / 3600) as u8,
        (secs / 60 % 60) as u8,
        (secs % 60) as u8,
        counter,
    )?;
    Ok((date, time))
}

/// The Unix time (UTC) of a virtual-file stamp, the counter ignored (RFC 5024 §5.3.3).
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

/// Hands out distinct virtual-file stamps (RFC 5024 §1.5.2, §5.3.3): the date and time of
/// the moment given, with the counter incremented for every stamp in the same second. When
/// 9999 stamps were taken in one second, the next stamps borrow the following seconds, so
/// no two stamps from one stamper are ever equal and they increase.
///
/// Persist [`FileStamper::last`] across restarts if files may be queued again within the
/// same second after a restart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileStamper {
    last: Option<(u64, u16)>,
}

impl FileStamper {
    /// A stamper that has handed out nothing yet.
    #[must_use]
    pub const fn new() -> Self {
        Self { last: None }
    }

    /// A stamper that continues after `(unix_seconds, counter)`, the last stamp handed out.
    #[must_use]
    pub const fn resume(unix_seconds: u64, counter: u16) -> Self {
        Self {
            last: Some((unix_seconds, counter)),
        }
    }

    /// The last stamp handed out, as (Unix seconds, counter).
    #[must_use]
    pub const fn last(&self) -> Option<(u64, u16)> {
        self.last
    }

    /// The next stamp at `unix_seconds` (a clock that goes back does not make stamps go
    /// back). Errors only beyond the year 9999.
    pub fn next(&mut self, unix_seconds: u64) -> Result<(FileDate, FileTime), ValidationError> {
        let (second, counter) = match self.last {
            Some((last, c)) if unix_seconds <= last => {
                if c >= 9999 {
                    (last.saturating_add(1), 1)
                } else {
                    (last, c + 1)
                }
            }
            _ => (unix_seconds, 1),
        };
        let stamp = file_stamp(second, counter)?;
        self.last = Some((second, counter));
        Ok(stamp)
    }
}

const fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

fn digits_value(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(0u32, |acc, &b| acc * 10 + u32::from(b.wrapping_sub(b'0')))
}

fn write_digits(dst: &mut [u8], mut value: u64) {
    for slot in dst.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// A virtual file date stamp `CCYYMMDD`, 9(8) (RFC 5024 §5.3.3 SFIDDATE, §1.5.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileDate([u8; 8]);

impl FileDate {
    /// A calendar date; the year is 0..=9999.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, ValidationError> {
        let mut b = [0u8; 8];
        if year > 9999 {
            return Err(ValidationError::new("CCYYMMDD", 0, "year above 9999"));
        }
        if !(1..=12).contains(&month) {
            return Err(ValidationError::new("CCYYMMDD", 4, "month outside 01..=12"));
        }
        if !(1..=31).contains(&day) {
            return Err(ValidationError::new("CCYYMMDD", 6, "day outside 01..=31"));
        }
        write_digits(&mut b[0..4], u64::from(year));
        write_digits(&mut b[4..6], u64::from(month));
        write_digits(&mut b[6..8], u64::from(day));
        Self::check(b).map_err(|r| ValidationError::new("CCYYMMDD", 4, r))?;
        Ok(Self(b))
    }

    /// Validates eight ASCII digits as a calendar date.
    pub(crate) fn check(b: [u8; 8]) -> Result<(), &'static str> {
        if !b.iter().all(u8::is_ascii_digit) {
            return Err("not 8 digits");
        }
        let year = digits_value(&b[0..4]);
        let month = digits_value(&b[4..6]);
        let day = digits_value(&b[6..8]);
        if !(1..=12).contains(&month) {
            return Err("month outside 01..=12");
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err("day does not exist in that month");
        }
        Ok(())
    }

    pub(crate) const fn from_wire(b: [u8; 8]) -> Self {
        Self(b)
    }

    /// The year (CCYY).
    #[must_use]
    pub fn year(&self) -> u16 {
        digits_value(&self.0[0..4]) as u16
    }
    /// The month, 1..=12.
    #[must_use]
    pub fn month(&self) -> u8 {
        digits_value(&self.0[4..6]) as u8
    }
    /// The day of the month.
    #[must_use]
    pub fn day(&self) -> u8 {
        digits_value(&self.0[6..8]) as u8
    }
    /// The wire form.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }
}

impl fmt::Debug for FileDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileDate({self})")
    }
}
impl fmt::Display for FileDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

/// A virtual file time stamp `HHMMSScccc`, 9(10) (RFC 5024 §5.3.3 SFIDTIME): hours,
/// minutes, seconds and a counter 0001..=9999 for higher resolution.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileTime([u8; 10]);

impl FileTime {
    /// A time of day with its counter (1..=9999).
    pub fn new(hour: u8, minute: u8, second: u8, counter: u16) -> Result<Self, ValidationError> {
        if hour > 23 || minute > 59 || second > 59 {
            return Err(ValidationError::new("HHMMSScccc", 0, "not a time of day"));
        }
        let mut b = [0u8; 10];
        write_digits(&mut b[0..2], u64::from(hour));
        write_digits(&mut b[2..4], u64::from(minute));
        write_digits(&mut b[4..6], u64::from(second));
        if counter > 9999 {
            return Err(ValidationError::new("HHMMSScccc", 6, "counter above 9999"));
        }
        write_digits(&mut b[6..10], u64::from(counter));
        match Self::check(b) {
            Ok(false) => Ok(Self(b)),
            Ok(true) => Err(ValidationError::new(
                "HHMMSScccc",
                6,
                "counter 0000 (the RFC gives 0001-9999)",
            )),
            Err(r) => Err(ValidationError::new("HHMMSScccc", 0, r)),
        }
    }

    /// Validates ten ASCII digits; `Ok(true)` means valid except for a `0000` counter.
    pub(crate) fn check(b: [u8; 10]) -> Result<bool, &'static str> {
        if !b.iter().all(u8::is_ascii_digit) {
            return Err("not 10 digits");
        }
        if digits_value(&b[0..2]) > 23 {
            return Err("hour above 23");
        }
        if digits_value(&b[2..4]) > 59 {
            return Err("minute above 59");
        }
        if digits_value(&b[4..6]) > 59 {
            return Err("second above 59");
        }
        Ok(digits_value(&b[6..10]) == 0)
    }

    pub(crate) const fn from_wire(b: [u8; 10]) -> Self {
        Self(b)
    }

    /// Hours, 0..=23.
    #[must_use]
    pub fn hour(&self) -> u8 {
        digits_value(&self.0[0..2]) as u8
    }
    /// Minutes, 0..=59.
    #[must_use]
    pub fn minute(&self) -> u8 {
        digits_value(&self.0[2..4]) as u8
    }
    /// Seconds, 0..=59.
    #[must_use]
    pub fn second(&self) -> u8 {
        digits_value(&self.0[4..6]) as u8
    }
    /// The counter, 1..=9999 (0 only when a lenient decoder accepted it).
    #[must_use]
    pub fn counter(&self) -> u16 {
        digits_value(&self.0[6..10]) as u16
    }
    /// The wire form.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 10] {
        &self.0
    }
}

impl fmt::Debug for FileTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileTime({self})")
    }
}
impl fmt::Display for FileTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}:{:02}.{:04}",
            self.hour(),
            self.minute(),
            self.second(),
            self.counter()
        )
    }
}

/// A UTF-8 text field T(n) with its 9(3) length in front (RFC 5024 §5.3: SFIDDESC,
/// SFNAREAST, EFNAREAST, ESIDREAST, NERPREAST): at most 999 octets.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Utf8Text(Vec<u8>);

impl Utf8Text {
    /// The longest text, in octets.
    pub const MAX_LEN: usize = 999;

    /// Checks that the UTF-8 encoding of `text` is at most 999 octets.
    pub fn new(text: &str) -> Result<Self, ValidationError> {
        if text.len() > Self::MAX_LEN {
            Err(ValidationError::new(
                "T(n)",
                Self::MAX_LEN,
                "more than 999 octets",
            ))
        } else {
            Ok(Self(text.as_bytes().to_vec()))
        }
    }

    /// Keeps at most 999 octets of `text`, cut at a character boundary.
    #[must_use]
    pub fn truncated(text: &str) -> Self {
        let mut end = text.len().min(Self::MAX_LEN);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Self(text.as_bytes().get(..end).unwrap_or_default().to_vec())
    }

    pub(crate) fn from_wire(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// The empty text (length field `000`).
    #[must_use]
    pub const fn empty() -> Self {
        Self(Vec::new())
    }

    /// The octets as received.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, if it is UTF-8 (it always is unless a lenient decoder accepted it).
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.0).ok()
    }

    /// The text with invalid sequences replaced.
    #[must_use]
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }

    /// The length in octets.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Utf8Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&String::from_utf8_lossy(&self.0), f)
    }
}
impl fmt::Display for Utf8Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

/// A binary field U(n) with its U(2) big-endian length in front (RFC 5024 §5.3.13 EERPHSH and
/// EERPSIG, §5.3.14 NERPHSH and NERPSIG, §5.3.17 AUCHCHAL): at most 65535 octets.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Binary(Vec<u8>);

impl Binary {
    /// The longest value a U(2) length can announce.
    pub const MAX_LEN: usize = 65_535;

    /// Checks `bytes.len() <= 65535`.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, ValidationError> {
        let bytes = bytes.into();
        if bytes.len() > Self::MAX_LEN {
            Err(ValidationError::new(
                "U(n)",
                Self::MAX_LEN,
                "more than 65535 octets",
            ))
        } else {
            Ok(Self(bytes))
        }
    }

    /// The empty value (length `0x0000`).
    #[must_use]
    pub const fn empty() -> Self {
        Self(Vec::new())
    }

    /// The octets.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The length in octets.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn from_wire(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

impl fmt::Debug for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Binary({} octets)", self.0.len())
    }
}

/// SSIDSR, send/receive capabilities (RFC 5024 §5.3.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SendReceive {
    /// `S`: the location can only send files.
    Send,
    /// `R`: the location can only receive files.
    Receive,
    /// `B`: the location can send and receive.
    Both,
}

impl SendReceive {
    /// The wire character.
    #[must_use]
    pub const fn to_byte(self) -> u8 {
        match self {
            Self::Send => b'S',
            Self::Receive => b'R',
            Self::Both => b'B',
        }
    }
    /// Parses the wire character (upper case).
    #[must_use]
    pub const fn from_byte(b: u8) -> Option<Self> {
        match b {
            b'S' => Some(Self::Send),
            b'R' => Some(Self::Receive),
            b'B' => Some(Self::Both),
            _ => None,
        }
    }
}

/// SFIDFMT, the virtual file format (RFC 5024 §1.5.3, §5.3.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FileFormat {
    /// `F`: fixed-length records.
    Fixed,
    /// `V`: variable-length records.
    Variable,
    /// `U`: unstructured binary (one record; restart in 1K blocks).
    Unstructured,
    /// `T`: text (one record, CR LF line ends kept in the data; restart in 1K blocks).
    Text,
}

impl FileFormat {
    /// The wire character.
    #[must_use]
    pub const fn to_byte(self) -> u8 {
        match self {
            Self::Fixed => b'F',
            Self::Variable => b'V',
            Self::Unstructured => b'U',
            Self::Text => b'T',
        }
    }
    /// Parses the wire character (upper case).
    #[must_use]
    pub const fn from_byte(b: u8) -> Option<Self> {
        match b {
            b'F' => Some(Self::Fixed),
            b'V' => Some(Self::Variable),
            b'U' => Some(Self::Unstructured),
            b'T' => Some(Self::Text),
            _ => None,
        }
    }
    /// Whether restart positions and EFIDRCNT count records (F, V) rather than 1K blocks
    /// and zero (U, T) (RFC 5024 §1.5.4, §5.3.3 SFIDREST, §5.3.8).
    #[must_use]
    pub const fn is_record_oriented(self) -> bool {
        matches!(self, Self::Fixed | Self::Variable)
    }
}

/// SFIDSEC, the security level of the file (RFC 5024 §5.3.3, §6.2-6.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SecurityLevel {
    /// `00`: no security services.
    None,
    /// `01`: encrypted.
    Encrypted,
    /// `02`: signed.
    Signed,
    /// `03`: encrypted and signed.
    EncryptedAndSigned,
}

impl SecurityLevel {
    /// The two-digit code.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Encrypted => 1,
            Self::Signed => 2,
            Self::EncryptedAndSigned => 3,
        }
    }
    /// Parses the code.
    #[must_use]
    pub const fn from_code(c: u8) -> Option<Self> {
        match c {
            0 => Some(Self::None),
            1 => Some(Self::Encrypted),
            2 => Some(Self::Signed),
            3 => Some(Self::EncryptedAndSigned),
            _ => None,
        }
    }
    /// Whether the file is encrypted.
    #[must_use]
    pub const fn is_encrypted(self) -> bool {
        matches!(self, Self::Encrypted | Self::EncryptedAndSigned)
    }
    /// Whether the file is signed.
    #[must_use]
    pub const fn is_signed(self) -> bool {
        matches!(self, Self::Signed | Self::EncryptedAndSigned)
    }
}

/// SFIDCIPH, the cipher suite, 9(2) (RFC 5024 §5.3.3, §10.2; 03-06 added by Odette).
///
/// Unknown values are kept so that the receiver can refuse them with SFNA 15 instead of
/// ending the session.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct CipherSuite(u8);

impl CipherSuite {
    /// The suite with this code, if it fits the two digits of SFIDCIPH (0..=99).
    #[must_use]
    pub const fn new(code: u8) -> Option<Self> {
        if code <= 99 { Some(Self(code)) } else { None }
    }

    pub(crate) const fn from_wire(code: u8) -> Self {
        Self(code)
    }

    /// The two-digit code.
    #[must_use]
    pub const fn code(self) -> u8 {
        self.0
    }

    /// `00`: no security services.
    pub const NONE: Self = Self(0);
    /// `01`: 3DES-EDE-CBC-3KEY, RSA PKCS#1 v1.5, SHA-1.
    pub const TDES_RSA_SHA1: Self = Self(1);
    /// `02`: AES-256-CBC, RSA PKCS#1 v1.5, SHA-1.
    pub const AES256_RSA_SHA1: Self = Self(2);
    /// `03`: 3DES-EDE-CBC-3KEY, RSA PKCS#1 v1.5, SHA-256.
    pub const TDES_RSA_SHA256: Self = Self(3);
    /// `04`: AES-256-CBC, RSA PKCS#1 v1.5, SHA-256.
    pub const AES256_RSA_SHA256: Self = Self(4);
    /// `05`: 3DES-EDE-CBC-3KEY, RSA PKCS#1 v1.5, SHA-512.
    pub const TDES_RSA_SHA512: Self = Self(5);
    /// `06`: AES-256-CBC, RSA PKCS#1 v1.5, SHA-512.
    pub const AES256_RSA_SHA512: Self = Self(6);

    /// Whether the suite is one of 00-06.
    #[must_use]
    pub const fn is_known(self) -> bool {
        self.0 <= 6
    }
}

impl fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// SFIDCOMP, the file compression algorithm, 9(1) (RFC 5024 §5.3.3, §6.4). Unknown values
/// are kept so the receiver can answer SFNA 18.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FileCompression(u8);

impl FileCompression {
    /// The value with this code, if it fits the one digit of SFIDCOMP (0..=9).
    #[must_use]
    pub const fn new(code: u8) -> Option<Self> {
        if code <= 9 { Some(Self(code)) } else { None }
    }

    pub(crate) const fn from_wire(code: u8) -> Self {
        Self(code)
    }

    /// The one-digit code.
    #[must_use]
    pub const fn code(self) -> u8 {
        self.0
    }

    /// `0`: no compression.
    pub const NONE: Self = Self(0);
    /// `1`: compressed with ZLIB in a CMS CompressedData envelope.
    pub const ZLIB: Self = Self(1);
}

/// SFIDENV, the file enveloping format, 9(1) (RFC 5024 §5.3.3). Unknown values are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Enveloping(u8);

impl Enveloping {
    /// The value with this code, if it fits the one digit of SFIDENV (0..=9).
    #[must_use]
    pub const fn new(code: u8) -> Option<Self> {
        if code <= 9 { Some(Self(code)) } else { None }
    }

    pub(crate) const fn from_wire(code: u8) -> Self {
        Self(code)
    }

    /// The one-digit code.
    #[must_use]
    pub const fn code(self) -> u8 {
        self.0
    }

    /// `0`: no envelope.
    pub const NONE: Self = Self(0);
    /// `1`: enveloped using CMS.
    pub const CMS: Self = Self(1);
}

/// AURPRSP, the 20-octet decrypted challenge (RFC 5024 §5.3.18). `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthResponse(pub [u8; 20]);

impl fmt::Debug for AuthResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthResponse(<redacted>)")
    }
}

impl FileDate {
    /// From its eight digits `CCYYMMDD` (RFC 5024 §5.3.3), e.g. as kept in a database.
    pub fn from_digits(digits: &[u8]) -> Result<Self, ValidationError> {
        let b: [u8; 8] = digits
            .try_into()
            .map_err(|_| ValidationError::new("CCYYMMDD", 0, "not 8 digits"))?;
        Self::check(b).map_err(|r| ValidationError::new("CCYYMMDD", 0, r))?;
        Ok(Self(b))
    }
}

impl FileTime {
    /// From its ten digits `HHMMSScccc` (RFC 5024 §5.3.3), e.g. as kept in a database. The
    /// counter `0000` that lenient decoding accepts from peers is accepted here too.
    pub fn from_digits(digits: &[u8]) -> Result<Self, ValidationError> {
        let b: [u8; 10] = digits
            .try_into()
            .map_err(|_| ValidationError::new("HHMMSScccc", 0, "not 10 digits"))?;
        Self::check(b).map_err(|r| ValidationError::new("HHMMSScccc", 0, r))?;
        Ok(Self(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alnum_pads_and_trims() {
        let a = Alnum::<8>::new("AB-1").unwrap();
        assert_eq!(a.as_bytes(), b"AB-1    ");
        assert_eq!(a.as_str(), "AB-1");
        assert!(Alnum::<8>::new("").unwrap().is_blank());
    }

    #[test]
    fn alnum_rejects_outside_the_set() {
        let e = Alnum::<8>::new("ab").unwrap_err();
        assert_eq!(e.at, 0);
        assert_eq!(Alnum::<8>::new("A B").unwrap_err().at, 1);
        assert_eq!(Alnum::<8>::new(" AB").unwrap_err().at, 0);
        assert!(Alnum::<3>::new("ABCD").is_err());
        assert!(Alnum::<8>::new("A_B").is_err());
    }

    #[test]
    fn odette_id_parts() {
        let id = OdetteId::new("O0013000000ACME").unwrap();
        assert_eq!(id.identifier(), b'O');
        assert_eq!(id.icd(), "0013");
        assert_eq!(id.organisation(), "000000ACME");
        assert_eq!(id.subaddress(), "");
    }

    #[test]
    fn password_is_redacted() {
        let p = Password::new("SECRET").unwrap();
        assert!(!format!("{p:?}").contains("SECRET"));
        assert_eq!(p.expose(), "SECRET");
    }

    #[test]
    fn dates_and_times() {
        assert!(FileDate::new(2024, 2, 29).is_ok());
        assert!(FileDate::new(2023, 2, 29).is_err());
        assert!(FileDate::new(2023, 13, 1).is_err());
        // Values that would wrap in two digits are refused, not truncated.
        assert!(FileDate::new(2026, 101, 1).is_err());
        assert!(FileDate::new(2026, 1, 131).is_err());
        assert!(FileTime::new(100, 0, 0, 1).is_err());
        assert!(FileTime::new(0, 160, 0, 1).is_err());
        assert_eq!(FileDate::new(2026, 11, 23).unwrap().as_bytes(), b"20261123");
        let t = FileTime::new(23, 59, 59, 9999).unwrap();
        assert_eq!(t.as_bytes(), b"2359599999");
        assert!(FileTime::new(12, 0, 0, 0).is_err());
        assert!(FileTime::new(24, 0, 0, 1).is_err());
    }

    #[test]
    fn bounded_numbers() {
        assert_eq!(Count17::MAX, 99_999_999_999_999_999);
        assert!(Count17::new(Count17::MAX).is_ok());
        assert!(Count17::new(Count17::MAX + 1).is_err());
        assert_eq!(Blocks13::saturating(u64::MAX).get(), Blocks13::MAX);
        assert!(BufferSize::new(127).is_err());
        assert!(BufferSize::new(100_000).is_err());
        assert!(Credit::new(0).is_err());
        assert!(Credit::new(1000).is_err());
    }

    #[test]
    fn text_truncates_at_char_boundary() {
        let s = "é".repeat(600); // 1200 octets
        let t = Utf8Text::truncated(&s);
        assert_eq!(t.len(), 998);
        assert!(t.as_str().is_some());
        assert!(Utf8Text::new(&s).is_err());
    }
}
