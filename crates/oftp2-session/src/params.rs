//! What one session proposes or accepts, decided per partner: the parameters of
//! F_CONNECT_RQ and F_CONNECT_RS (RFC 5024 §3.2.1, §5.3.2, §9.8 P9/P10).

use std::time::Instant;

use oftp2_codec::{BufferSize, Credit, ProtocolLevel, SendReceive, UserData};

use crate::config::Config;
use crate::security::SessionSecurity;

/// The parameters of one session, chosen when the application knows the partner: given to
/// [`crate::Session::initiator`] (F_CONNECT_RQ) and to [`crate::Session::accept_session`]
/// (F_CONNECT_RS, after [`crate::Event::SessionRequested`] named the caller). Every value
/// not set comes from the [`Config`].
///
/// Secure authentication and the security hook come together: [`ConnectParams::secure_authentication`]
/// takes the [`SessionSecurity`] that performs it, so a session can never require secure
/// authentication without the means to do it (and SSIDAUTH never disagrees with the hook).
/// [`ConnectParams::security`] gives a hook for receipts alone.
#[derive(Default)]
#[non_exhaustive]
pub struct ConnectParams {
    pub(crate) mode: Option<SendReceive>,
    pub(crate) buffer_size: Option<BufferSize>,
    pub(crate) credit: Option<Credit>,
    pub(crate) compression: Option<bool>,
    pub(crate) restart: Option<bool>,
    pub(crate) user_data: Option<UserData>,
    pub(crate) secure_authentication: bool,
    pub(crate) security: Option<Box<dyn SessionSecurity>>,
    pub(crate) wall_clock: Option<(Instant, u64)>,
    pub(crate) level: Option<ProtocolLevel>,
    pub(crate) minimum_level: Option<ProtocolLevel>,
}

impl core::fmt::Debug for ConnectParams {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ConnectParams")
            .field("mode", &self.mode)
            .field("buffer_size", &self.buffer_size)
            .field("credit", &self.credit)
            .field("compression", &self.compression)
            .field("restart", &self.restart)
            .field("secure_authentication", &self.secure_authentication)
            .field("security", &self.security.is_some())
            .field("wall_clock", &self.wall_clock)
            .field("level", &self.level)
            .field("minimum_level", &self.minimum_level)
            .finish_non_exhaustive()
    }
}

impl ConnectParams {
    /// Everything from the [`Config`], no secure authentication, no security hook.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Cap-mode for this session (SSIDSR).
    #[must_use]
    pub fn mode(mut self, mode: SendReceive) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Max-buf-size for this session (SSIDSDEB).
    #[must_use]
    pub fn buffer_size(mut self, size: BufferSize) -> Self {
        self.buffer_size = Some(size);
        self
    }

    /// Max-window for this session (SSIDCRED).
    #[must_use]
    pub fn credit(mut self, credit: Credit) -> Self {
        self.credit = Some(credit);
        self
    }

    /// Cap-compression for this session (SSIDCMPR).
    #[must_use]
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = Some(on);
        self
    }

    /// Cap-restart for this session (SSIDREST).
    #[must_use]
    pub fn restart(mut self, on: bool) -> Self {
        self.restart = Some(on);
        self
    }

    /// SSIDUSER for this session.
    #[must_use]
    pub fn user_data(mut self, user_data: UserData) -> Self {
        self.user_data = Some(user_data);
        self
    }

    /// Require secure authentication (SSIDAUTH = Y, RFC 5024 §4.2.3), performed by
    /// `security`, which also signs and verifies receipts.
    #[must_use]
    pub fn secure_authentication(mut self, security: Box<dyn SessionSecurity>) -> Self {
        self.secure_authentication = true;
        self.security = Some(security);
        self
    }

    /// A security hook for signed receipts only (SSIDAUTH = N): EERPSIG/NERPSIG are made
    /// and checked with it (RFC 5024 §5.3.13-14).
    #[must_use]
    pub fn security(mut self, security: Box<dyn SessionSecurity>) -> Self {
        self.secure_authentication = false;
        self.security = Some(security);
        self
    }

    /// The wall clock: at `now` it was `unix_seconds` (UTC). The session derives the Unix
    /// time of every later `now` from this one pair (it never reads a clock), to check the
    /// validity of receipt signers' certificates and [`Config::max_receipt_age`]. Without
    /// it, receipt signatures are checked without a time (certificate validity unchecked).
    #[must_use]
    pub fn wall_clock(mut self, now: Instant, unix_seconds: u64) -> Self {
        self.wall_clock = Some((now, unix_seconds));
        self
    }

    /// The highest protocol level proposed or accepted (SSIDLEV, RFC 5024 §5.3.2; default
    /// `5`, OFTP 2.0). The lowest level of the two SSIDs is selected. A level without
    /// established command layouts (`0`, `3`, `6`-`9`: see [`oftp2_codec::level`]) stands
    /// for the highest one below it that has them (`3` proposes `2`, `6`-`9` propose `5`,
    /// `0` proposes `1`). It is never below [`ConnectParams::effective_minimum_level`]: a
    /// partner that requires secure authentication is always offered level 5.
    #[must_use]
    pub fn level(mut self, level: ProtocolLevel) -> Self {
        self.level = Some(level);
        self
    }

    /// The lowest protocol level this partner may use. A partner whose SSID names a lower
    /// level is refused with ESID 12 ("partner attempted to downgrade to ..."), never used at
    /// that level. Without it the minimum is `5` when this partner's policy needs OFTP 2.0
    /// features (secure authentication, or a security hook for signed receipts: see
    /// [`ConnectParams::secure_authentication`] and [`ConnectParams::security`]) and `1`
    /// otherwise, so partners that never upgraded can still be reached.
    #[must_use]
    pub fn minimum_level(mut self, level: ProtocolLevel) -> Self {
        self.minimum_level = Some(level);
        self
    }

    /// Refuse any level below OFTP 2.0 for this partner (`minimum_level(5)`), e.g. because
    /// its files must be encrypted or signed (RFC 5024 §5.3.3 SFIDSEC exists only in 2.0).
    #[must_use]
    pub fn require_oftp2(self) -> Self {
        self.minimum_level(ProtocolLevel::V2_0)
    }

    /// The lowest level allowed for this partner (see [`ConnectParams::minimum_level`]).
    #[must_use]
    pub fn effective_minimum_level(&self) -> ProtocolLevel {
        let policy = if self.secure_authentication || self.security.is_some() {
            ProtocolLevel::V2_0
        } else {
            ProtocolLevel::V1_2
        };
        self.minimum_level.map_or(policy, |m| m.max(policy))
    }

    /// Whether secure authentication is required.
    #[must_use]
    pub fn requires_secure_authentication(&self) -> bool {
        self.secure_authentication
    }
}

/// The parameters in force for one session: [`ConnectParams`] over the [`Config`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Proposal {
    pub(crate) mode: SendReceive,
    pub(crate) buffer_size: BufferSize,
    pub(crate) credit: Credit,
    pub(crate) compression: bool,
    pub(crate) restart: bool,
    pub(crate) user_data: UserData,
    pub(crate) secure_authentication: bool,
    /// The highest level proposed (one with established layouts, at least `minimum_level`).
    pub(crate) level: ProtocolLevel,
    /// The lowest level allowed for this partner.
    pub(crate) minimum_level: ProtocolLevel,
}

/// The highest level at or below `level` whose layouts are established.
pub(crate) fn supported_at_or_below(level: ProtocolLevel) -> ProtocolLevel {
    match level.get() {
        0 | 1 => ProtocolLevel::V1_2,
        2 | 3 => ProtocolLevel::V1_3,
        4 => ProtocolLevel::V1_4,
        _ => ProtocolLevel::V2_0,
    }
}

impl Proposal {
    pub(crate) fn resolve(config: &Config, p: &ConnectParams) -> Self {
        Self {
            mode: p.mode.unwrap_or(config.mode),
            buffer_size: p.buffer_size.unwrap_or(config.buffer_size),
            credit: p.credit.unwrap_or(config.credit),
            compression: p.compression.unwrap_or(config.compression),
            restart: p.restart.unwrap_or(config.restart),
            user_data: p.user_data.unwrap_or(config.user_data),
            secure_authentication: p.secure_authentication,
            level: supported_at_or_below(p.level.unwrap_or(ProtocolLevel::V2_0))
                .max(supported_at_or_below(p.effective_minimum_level())),
            minimum_level: p.effective_minimum_level(),
        }
    }
}
