//! Events for the application (the RFC's F_xxx_IND and F_xxx_CF primitives, §3).

use oftp2_codec::{
    BufferSize, Counts, Credit, DataChunk, Eerp, EfnaReason, Nerp, OdetteId, ProtocolLevel, Sfid,
    SfnaReason, Ssid, Utf8Text,
};

use crate::error::SessionError;

/// Identifies one file transfer within a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u64);

/// What the session found about a received receipt's signature (RFC 5024 §5.3.13-14).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiptSignature {
    /// EERPSIGL / NERPSIGL is zero.
    Unsigned,
    /// The CMS signature verifies over the receipt's fields with a configured certificate
    /// of its creator.
    Verified,
    /// The signature does not verify; the failure says why.
    Invalid(crate::security::AuthFailure),
    /// Signed, but the session has no [`crate::SessionSecurity`] to check it.
    NotChecked,
    /// The signature verifies, but the receipt's date and time stamp lies further back
    /// than [`crate::Config::max_receipt_age`]: it may be a replay.
    TooOld {
        /// How old the stamp is, in seconds.
        age_secs: u64,
        /// The limit, in seconds.
        max_age_secs: u64,
    },
}

/// Who ended the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AbortOrigin {
    /// We did (the RFC's AO=L).
    Local,
    /// The partner or the network did (AO=D).
    Distant,
}

/// The parameters both sides agreed on (RFC 5024 §5.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The partner's identification code (its SSIDCODE).
    pub partner: OdetteId,
    /// The protocol level in use.
    pub level: ProtocolLevel,
    /// The data exchange buffer size (command octet included, no STH).
    pub buffer_size: BufferSize,
    /// The credit window.
    pub credit: Credit,
    /// Buffer compression in use.
    pub compression: bool,
    /// Restart in use.
    pub restart: bool,
    /// Secure authentication was performed.
    pub secure_authentication: bool,
    /// Whether we may send files.
    pub can_send: bool,
    /// Whether we may receive files.
    pub can_receive: bool,
}

/// Something the application must know or decide. Events that say "must" need an answer
/// before the session can go on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// F_CONNECT_IND: the Initiator's SSID arrived. The application **must** call
    /// `accept_session` or `refuse_session` (check SSIDCODE and SSIDPSWD: ESID 03 for an
    /// unknown code, 04 for a wrong password).
    SessionRequested {
        /// The Initiator's SSID.
        ssid: Ssid,
    },
    /// F_CONNECT_CF: the session is established (after secure authentication if agreed).
    Connected(Negotiated),
    /// F_CD_IND: we are the Speaker now. `unsolicited` is true when the partner gave up the
    /// turn on its own (IDLESPCD): then we may end the session.
    BecameSpeaker {
        /// Whether the partner sent CD without our EFPA asking for it.
        unsolicited: bool,
    },
    /// F_START_FILE_IND: the partner offers a file. The application **must** call
    /// `accept_file` or `refuse_file`.
    FileOffered {
        /// The transfer.
        id: FileId,
        /// The SFID as received.
        sfid: Box<Sfid>,
    },
    /// The session refused an offered file on its own with SFNA (no decision is asked):
    /// its SFIDREST cannot be represented or lies beyond SFIDFSIZ (RFC 5024 §5.3.3,
    /// §5.3.5 reasons 10 and 11). The session goes on; the partner may offer it again.
    FileOfferRefused {
        /// The SFID as received.
        sfid: Box<Sfid>,
        /// The SFNA reason sent.
        reason: SfnaReason,
        /// What is wrong.
        detail: &'static str,
    },
    /// F_START_FILE_CF(+): the partner accepted our file from `restart_at` on.
    FileAccepted {
        /// The transfer.
        id: FileId,
        /// SFPAACNT: where to start (records for F/V, 1K blocks otherwise).
        restart_at: u64,
    },
    /// F_START_FILE_CF(-): the partner refused our file.
    FileRefused {
        /// The transfer.
        id: FileId,
        /// SFNAREAS.
        reason: SfnaReason,
        /// SFNARRTR: whether to try again later.
        retry: bool,
        /// SFNAREAST.
        text: Utf8Text,
    },
    /// F_DATA_IND: file data arrived. Store it; it is acknowledged only by `confirm_file`.
    DataReceived {
        /// The transfer.
        id: FileId,
        /// The octets and record ends.
        chunk: DataChunk,
    },
    /// F_DATA_CF: new credit arrived, `send_data` takes data again.
    ReadyForData {
        /// The transfer.
        id: FileId,
    },
    /// F_CLOSE_FILE_IND: the partner ended the file. The application **must** make the
    /// data durable, then call `confirm_file`, or `reject_file`.
    FileEnded {
        /// The transfer.
        id: FileId,
        /// EFIDRCNT / EFIDUCNT as declared by the partner.
        declared: Counts,
        /// What arrived (including the restart offset).
        received: Counts,
        /// Whether an F/V file ended inside a record.
        incomplete_record: bool,
    },
    /// F_CLOSE_FILE_CF(+): the partner confirmed storage (EFPA).
    FileDelivered {
        /// The transfer.
        id: FileId,
        /// Whether we are still the Speaker (false: the partner asked for the turn).
        speaker: bool,
    },
    /// F_CLOSE_FILE_CF(-): the partner refused the file after transfer (EFNA).
    FileFailed {
        /// The transfer.
        id: FileId,
        /// EFNAREAS.
        reason: EfnaReason,
        /// EFNAREAST.
        text: Utf8Text,
    },
    /// F_EERP_IND: a receipt arrived. Persist it, then call `ready_to_receive`. Compare
    /// EERPHSH with the hash of the file as sent (RFC 5024 §5.3.13: an application issue).
    EerpReceived {
        /// The EERP; [`Eerp::file_key`] names the file it acknowledges.
        eerp: Box<Eerp>,
        /// The state of EERPSIG.
        signature: ReceiptSignature,
    },
    /// F_NERP_IND: a negative receipt arrived. Persist it, then call `ready_to_receive`.
    NerpReceived {
        /// The NERP; [`Nerp::file_key`] names the file it is about.
        nerp: Box<Nerp>,
        /// The state of NERPSIG.
        signature: ReceiptSignature,
    },
    /// F_RTR_CF: the partner acknowledged our EERP or NERP.
    ReceiptAcknowledged,
    /// F_RELEASE_IND: the session ended normally.
    Released,
    /// F_ABORT_IND: the session ended abnormally.
    Aborted {
        /// Who ended it.
        origin: AbortOrigin,
        /// Why.
        error: SessionError,
    },
}
