use core::fmt;

/// Why a handler could not serve an operation.
///
/// Each variant names the CoAP response a client sends for it; the mapping lives in one place
/// in the client so that every path answers the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The instance or resource does not exist (4.04 Not Found). Optional resources a handler
    /// does not implement answer this by default.
    NotFound,
    /// The operation is not allowed on this resource or in the current state
    /// (4.05 Method Not Allowed).
    MethodNotAllowed,
    /// The value is malformed or outside the declared range (4.00 Bad Request).
    BadRequest,
    /// The server has no right to perform the operation (4.01 Unauthorized).
    Unauthorized,
    /// The value is larger than the resource can hold (4.13 Request Entity Too Large).
    TooLarge,
    /// The client cannot produce the content format the request accepts (4.06 Not
    /// Acceptable).
    NotAcceptable,
    /// The payload's content format is not one the client reads (4.15 Unsupported
    /// Content-Format).
    UnsupportedContentFormat,
    /// A block-wise transfer has a gap or no start (4.08 Request Entity Incomplete).
    Incomplete,
    /// The device failed while serving the request (5.00 Internal Server Error).
    Internal,
}

impl Error {
    /// The CoAP response code for this error, as `(class, detail)`: `(4, 4)` is 4.04.
    pub const fn coap_code(self) -> (u8, u8) {
        match self {
            Self::NotFound => (4, 4),
            Self::MethodNotAllowed => (4, 5),
            Self::BadRequest => (4, 0),
            Self::Unauthorized => (4, 1),
            Self::TooLarge => (4, 13),
            Self::NotAcceptable => (4, 6),
            Self::UnsupportedContentFormat => (4, 15),
            Self::Incomplete => (4, 8),
            Self::Internal => (5, 0),
        }
    }
}

/// For writers that cannot fail (the CBOR encoders over a `Vec`).
impl From<core::convert::Infallible> for Error {
    fn from(e: core::convert::Infallible) -> Self {
        match e {}
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (class, detail) = self.coap_code();
        let what = match self {
            Self::NotFound => "not found",
            Self::MethodNotAllowed => "method not allowed",
            Self::BadRequest => "bad request",
            Self::Unauthorized => "unauthorized",
            Self::TooLarge => "request entity too large",
            Self::NotAcceptable => "not acceptable",
            Self::UnsupportedContentFormat => "unsupported content format",
            Self::Incomplete => "request entity incomplete",
            Self::Internal => "internal error",
        };
        write!(f, "{what} ({class}.{detail:02})")
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::Error;

    #[test]
    fn display_names_the_coap_code() {
        assert_eq!(
            std::format!("{}", Error::TooLarge),
            "request entity too large (4.13)"
        );
        assert_eq!(std::format!("{}", Error::NotFound), "not found (4.04)");
        assert_eq!(Error::Internal.coap_code(), (5, 0));
    }
}
