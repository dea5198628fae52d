//! The states of RFC 5024 §9.3, by their RFC names.

/// A state of the ODETTE-FTP entity (RFC 5024 §9.3). `Display` gives the RFC's name
/// (`Idle` and `Closed` are both the RFC's IDLE: before and after the session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// IDLE before a connection: a Responder waiting for N_CON_IND (§9.8 IDLE).
    Idle,
    /// I_WF_NC: Initiator waiting for the network connection (§9.8, row N_CON_CF).
    IWfNc,
    /// I_WF_RM: Initiator waiting for SSRM (§9.8, row SSRM, transition H).
    IWfRm,
    /// I_WF_SSID: Initiator waiting for the Responder's SSID (§9.8, row SSID, transition D).
    IWfSsid,
    /// A_NC_ONLY: Responder sent SSRM, waits for SSID (§9.8, row SSID, transition E).
    ANcOnly,
    /// A_WF_CONRS: Responder waits for F_CONNECT_RS (§9.8, row F_CONNECT_RS, transition G).
    AWfConrs,
    /// WF_SECD: waiting for SECD (§9.8, row SECD, transition J).
    WfSecd,
    /// WF_AUCH: sent SECD, waiting for AUCH (§9.8, row AUCH, transition I).
    WfAuch,
    /// WF_AURP: sent AUCH, waiting for AURP (§9.8, row AURP, transition K).
    WfAurp,
    /// IDLESP: idle Speaker (§9.10).
    IdleSp,
    /// IDLESPCD: idle Speaker after an unsolicited CD; may end the session (§9.10).
    IdleSpCd,
    /// IDLELI: idle Listener (§9.12).
    IdleLi,
    /// IDLELICD: idle Listener after our F_CD_RQ; a normal ESID is valid (§9.12).
    IdleLiCd,
    /// OPOP: SFID sent, waiting for SFPA/SFNA (§9.10 K, L).
    Opop,
    /// OPO: sending data (§9.10 M, §9.11 A).
    Opo,
    /// OPOWFC: credit exhausted, waiting for CDT (§9.10 O).
    Opowfc,
    /// CLOP: EFID sent, waiting for EFPA/EFNA (§9.11 C, D).
    Clop,
    /// OPIP: SFID received, waiting for F_START_FILE_RS (§9.12 H).
    Opip,
    /// OPI: receiving data (§9.12 I, J).
    Opi,
    /// CLIP: EFID received, waiting for F_CLOSE_FILE_RS (§9.12 K).
    Clip,
    /// WF_RTR: EERP/NERP sent, waiting for RTR (§9.10 N).
    WfRtr,
    /// RTRP: EERP/NERP received, waiting for F_RTR_RS (§9.12 M).
    Rtrp,
    /// WF_CD: EFPA with CD request sent, waiting for CD (§9.10 H).
    WfCd,
    /// ERSTWFCD: F_EERP_RQ stored in WF_CD (§9.10 F, R).
    ErStWfCd,
    /// NRSTWFCD: F_NERP_RQ stored in WF_CD (§9.10 Z, Z1).
    NrStWfCd,
    /// SFSTWFCD: F_START_FILE_RQ stored in WF_CD (§9.10 G, I).
    SfStWfCd,
    /// CDSTWFCD: F_CD_RQ stored in WF_CD (§9.10 T, J).
    CdStWfCd,
    /// WF_NDISC: ESID sent, waiting for the disconnection (§9.9).
    WfNdisc,
    /// IDLE after the session: nothing more happens.
    Closed,
}

impl State {
    /// The RFC's name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Idle | Self::Closed => "IDLE",
            Self::IWfNc => "I_WF_NC",
            Self::IWfRm => "I_WF_RM",
            Self::IWfSsid => "I_WF_SSID",
            Self::ANcOnly => "A_NC_ONLY",
            Self::AWfConrs => "A_WF_CONRS",
            Self::WfSecd => "WF_SECD",
            Self::WfAuch => "WF_AUCH",
            Self::WfAurp => "WF_AURP",
            Self::IdleSp => "IDLESP",
            Self::IdleSpCd => "IDLESPCD",
            Self::IdleLi => "IDLELI",
            Self::IdleLiCd => "IDLELICD",
            Self::Opop => "OPOP",
            Self::Opo => "OPO",
            Self::Opowfc => "OPOWFC",
            Self::Clop => "CLOP",
            Self::Opip => "OPIP",
            Self::Opi => "OPI",
            Self::Clip => "CLIP",
            Self::WfRtr => "WF_RTR",
            Self::Rtrp => "RTRP",
            Self::WfCd => "WF_CD",
            Self::ErStWfCd => "ERSTWFCD",
            Self::NrStWfCd => "NRSTWFCD",
            Self::SfStWfCd => "SFSTWFCD",
            Self::CdStWfCd => "CDSTWFCD",
            Self::WfNdisc => "WF_NDISC",
        }
    }

    /// Whether the inactivity timer waits for the application rather than the peer.
    pub(crate) const fn waits_for_application(self) -> bool {
        matches!(
            self,
            Self::AWfConrs
                | Self::IdleSp
                | Self::IdleSpCd
                | Self::Opo
                | Self::Opip
                | Self::Clip
                | Self::Rtrp
        )
    }
}

impl core::fmt::Display for State {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}
