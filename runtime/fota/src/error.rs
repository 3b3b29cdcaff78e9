//! Why a download, a verification or an install failed, and the one table that says which
//! Update Result reports it and which CoAP code a server's write gets.

use core::fmt;

use lwm2m_objects::firmware_update::UpdateResult;
use lwm2m_objects::firmware_update::machine::DownloadFailure;
use lwm2m_runtime::Error;

/// Why a firmware download, verification or install failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FotaError {
    /// The package does not fit the download slot, or the flash failed to take it (2).
    NoSpace,
    /// Out of RAM while downloading (3).
    NoRam,
    /// The connection was lost while downloading (4).
    ConnectionLost,
    /// The package failed its integrity or authenticity check (5).
    Integrity,
    /// The package is not of a type this device installs (6).
    UnsupportedPackage,
    /// The Package URI is not valid (7).
    InvalidUri,
    /// Installing failed (8).
    UpdateFailed,
    /// The Package URI names a protocol this device does not support (9).
    UnsupportedProtocol,
}

impl FotaError {
    /// The Update Result that reports this error.
    pub const fn update_result(self) -> UpdateResult {
        match self {
            Self::NoSpace => UpdateResult::NotEnoughFlash,
            Self::NoRam => UpdateResult::OutOfRam,
            Self::ConnectionLost => UpdateResult::ConnectionLost,
            Self::Integrity => UpdateResult::IntegrityCheckFailure,
            Self::UnsupportedPackage => UpdateResult::UnsupportedPackageType,
            Self::InvalidUri => UpdateResult::InvalidUri,
            Self::UpdateFailed => UpdateResult::UpdateFailed,
            Self::UnsupportedProtocol => UpdateResult::UnsupportedProtocol,
        }
    }

    /// The result a download that ends with this error reports: one the state diagram allows
    /// when a download fails. A slot that could not be written (`UpdateFailed`) is reported as
    /// Not enough flash: the flash could not take the package, and while downloading the
    /// diagram has no other result for it.
    pub const fn download_failure(self) -> DownloadFailure {
        match self {
            Self::NoSpace | Self::UpdateFailed => DownloadFailure::NotEnoughFlash,
            Self::NoRam => DownloadFailure::OutOfRam,
            Self::ConnectionLost => DownloadFailure::ConnectionLost,
            Self::Integrity => DownloadFailure::IntegrityCheckFailure,
            Self::UnsupportedPackage => DownloadFailure::UnsupportedPackageType,
            Self::InvalidUri => DownloadFailure::InvalidUri,
            Self::UnsupportedProtocol => DownloadFailure::UnsupportedProtocol,
        }
    }

    /// The CoAP error a server's write of Package answers when it meets this error: 4.13 when
    /// the package is too big, 5.00 when the device failed to store it, 4.00 for a package
    /// that is corrupt, foreign or not an image.
    pub const fn coap_error(self) -> Error {
        match self {
            Self::NoSpace => Error::TooLarge,
            Self::NoRam | Self::UpdateFailed | Self::ConnectionLost => Error::Internal,
            Self::Integrity
            | Self::UnsupportedPackage
            | Self::InvalidUri
            | Self::UnsupportedProtocol => Error::BadRequest,
        }
    }
}

impl fmt::Display for FotaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use lwm2m_runtime::Enumeration;
        let r = self.update_result();
        write!(
            f,
            "firmware update failed: Update Result {} ({})",
            r.value(),
            r.label()
        )
    }
}

impl core::error::Error for FotaError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_result_and_a_download_result_the_diagram_allows() {
        let all = [
            (FotaError::NoSpace, 2, 2),
            (FotaError::NoRam, 3, 3),
            (FotaError::ConnectionLost, 4, 4),
            (FotaError::Integrity, 5, 5),
            (FotaError::UnsupportedPackage, 6, 6),
            (FotaError::InvalidUri, 7, 7),
            (FotaError::UpdateFailed, 8, 2),
            (FotaError::UnsupportedProtocol, 9, 9),
        ];
        for (e, result, download) in all {
            assert_eq!(u8::from(e.update_result()), result, "{e:?}");
            assert_eq!(u8::from(UpdateResult::from(e.download_failure())), download);
        }
        assert_eq!(FotaError::NoSpace.coap_error(), Error::TooLarge);
        assert_eq!(FotaError::Integrity.coap_error(), Error::BadRequest);
        assert_eq!(
            std::format!("{}", FotaError::Integrity),
            "firmware update failed: Update Result 5 (Integrity check failure)"
        );
    }
}
