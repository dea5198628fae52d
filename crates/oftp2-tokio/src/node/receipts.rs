//! End-to-end responses received (RFC 5024 §5.3.13-14): EERPs matched by virtual-file key
//! and checked against the hash of the file as sent, NERPs stored and surfaced.

use super::*;

impl Exchange<'_> {
    /// The file a receipt answers. At levels 1 and 2 the stamp travels as HHMMSS (RFC 2204
    /// §5.3.3), so the receipt's key has no counter: the file delivered to that partner
    /// with the same name, date, second, originator and destination is the one.
    fn sent_file(&self, key: &VirtualFileKey) -> io::Result<Option<OutgoingRecord>> {
        let store = &self.node.store;
        if let Some(rec) = store.outgoing(key).map_err(io_err)? {
            return Ok(Some(rec));
        }
        let same_second = |k: &VirtualFileKey| {
            k.dataset_name == key.dataset_name
                && k.date == key.date
                && (k.time.hour(), k.time.minute(), k.time.second())
                    == (key.time.hour(), key.time.minute(), key.time.second())
                && k.originator == key.originator
                && k.destination == key.destination
        };
        let mut candidates: Vec<OutgoingRecord> = store
            .all_outgoing()
            .map_err(io_err)?
            .into_iter()
            .filter(|o| o.state == OutgoingState::Delivered && same_second(&o.identity.key))
            .collect();
        // Two versions sent within one second cannot be told apart at these levels.
        Ok(if candidates.len() == 1 {
            candidates.pop()
        } else {
            None
        })
    }

    pub(super) fn on_eerp(&mut self, eerp: &Eerp, signature: &ReceiptSignature) -> io::Result<()> {
        let key = eerp.file_key();
        let store = &self.node.store;
        let Some(rec) = self.sent_file(&key)? else {
            tracing::warn!(file = %key.dataset_name, "an EERP for a file we do not know");
            self.report
                .receipts
                .push((key, "EERP for an unknown file".into()));
            return Ok(());
        };
        // The key as stored (a 1.x receipt's key has no stamp counter).
        let key = rec.identity.key;
        let verdict = match signature {
            ReceiptSignature::Verified => {
                // EERPHSH must be the hash of the file as we sent it: the one recorded when
                // it was queued or sealed (a store from before that is checked against the
                // file as it is now).
                let expected = match rec.expected_hash.clone() {
                    Some(h) => Ok(Some(h)),
                    None => suite_hash(&self.node.transmitted_path(&rec), rec.cipher_suite),
                };
                match expected {
                    Ok(Some(h)) if h == eerp.hash.as_bytes() => Ok("signed EERP verified"),
                    Ok(_) => Err("EERPHSH does not match the file as sent".to_owned()),
                    Err(e) => Err(format!("the file to check EERPHSH against: {e}")),
                }
            }
            ReceiptSignature::Unsigned if rec.signed_eerp => {
                Ok("EERP (unsigned, signed requested)")
            }
            ReceiptSignature::Unsigned | ReceiptSignature::NotChecked => Ok("EERP"),
            ReceiptSignature::Invalid(f) => Err(format!("EERP signature invalid: {f}")),
            ReceiptSignature::TooOld { age_secs, .. } => {
                Err(format!("EERP too old ({age_secs} s): possible replay"))
            }
            _ => Err("EERP with an unknown verdict".to_owned()),
        };
        let text = match verdict {
            Ok(v) => {
                store
                    .set_outgoing_state(&key, &OutgoingState::Acknowledged)
                    .map_err(io_err)?;
                self.node.drop_spool(&rec);
                v.to_owned()
            }
            Err(why) => {
                tracing::warn!(file = %key.dataset_name, %why, "EERP not accepted");
                why
            }
        };
        self.node.log_file(
            Direction::Sent,
            rec.partner,
            &key,
            rec.identity.size,
            Logged {
                sha256: hex(&rec.identity.sha256),
                outcome: "receipt".into(),
                receipt: text.clone(),
            },
        );
        self.report.receipts.push((key, text));
        Ok(())
    }

    pub(super) fn on_nerp(&mut self, nerp: &oftp2_codec::Nerp) -> io::Result<()> {
        let key = nerp.file_key();
        let reason = format!("NERP {} {}", nerp.reason, nerp.text);
        let found = self.sent_file(&key)?;
        let key = found.as_ref().map_or(key, |r| r.identity.key);
        if let Some(rec) = found {
            self.node
                .store
                .set_outgoing_state(
                    &key,
                    &OutgoingState::NegativeReceipt {
                        reason: reason.clone(),
                    },
                )
                .map_err(io_err)?;
            self.node.drop_spool(&rec);
            self.node.log_file(
                Direction::Sent,
                rec.partner,
                &key,
                rec.identity.size,
                Logged {
                    sha256: hex(&rec.identity.sha256),
                    outcome: "negative receipt".into(),
                    receipt: reason.clone(),
                },
            );
        }
        tracing::warn!(file = %key.dataset_name, %reason, "negative end-to-end response");
        self.report.negative_receipts.push((key, reason));
        Ok(())
    }
}
