//! One LwM2M Security instance (/0/x): the credentials of one server account, in the value
//! types the generated `lwm2m_security` module gives its resources.
//!
//! Only the resources a client needs to reach its servers are kept (URI, role, security
//! mode, key material, SMS security, Short Server ID, the bootstrap timers); a bootstrap
//! write of any other resource of /0 is accepted and dropped. The generated instance struct
//! (`lwm2m_security::Lwm2mSecurity`) is not used as storage: it holds every optional
//! resource, eight Secondary URIs of 255 bytes among them, several KiB per instance.

extern crate alloc;

use alloc::vec::Vec;

use lwm2m_objects::lwm2m_security::{self as sec, SecurityMode, resources as r};
use lwm2m_runtime::client::{Secret, Security};
use lwm2m_runtime::format::Item;
use lwm2m_runtime::path::Path;
use lwm2m_runtime::{Error, ObjectSpec, ResourceSpec, Value, ValueType};

/// The value type the generated API gives resource `R`.
type V<R> = <R as ResourceSpec>::Value;

/// The values of one Security instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SecurityInstance {
    /// Resource 0: the server's URI.
    pub server_uri: V<r::Lwm2mServerUri>,
    /// Resource 1: the account is a Bootstrap-Server's.
    pub bootstrap_server: V<r::BootstrapServer>,
    /// Resource 2: how the connection is secured.
    pub security_mode: SecurityMode,
    /// Resource 3: the PSK identity, or the client's public key or certificate.
    pub public_key_or_identity: V<r::PublicKeyOrIdentity>,
    /// Resource 4: the server's public key or certificate.
    pub server_public_key: V<r::ServerPublicKey>,
    /// Resource 5: the PSK, or the client's private key. Secret.
    pub secret_key: V<r::SecretKey>,
    /// Resource 6: the SMS security mode.
    pub sms_security_mode: Option<V<r::SmsSecurityMode>>,
    /// Resource 7: the SMS binding key parameters. Secret.
    pub sms_binding_key_parameters: Option<V<r::SmsBindingKeyParameters>>,
    /// Resource 8: the SMS binding secret keys. Secret.
    pub sms_binding_secret_keys: Option<V<r::SmsBindingSecretKeyS>>,
    /// Resource 9: the server's SMS number.
    pub server_sms_number: Option<V<r::Lwm2mServerSmsNumber>>,
    /// Resource 10: the Short Server ID that ties the account to its Server instance.
    pub short_server_id: Option<V<r::ShortServerId>>,
    /// Resource 11: seconds to wait before a client-initiated bootstrap.
    pub client_hold_off_time: Option<V<r::ClientHoldOffTime>>,
    /// Resource 12: seconds after which the Bootstrap-Server account is dropped.
    pub bootstrap_server_account_timeout: Option<V<r::BootstrapServerAccountTimeout>>,
}

impl SecurityInstance {
    /// Sets resource `resource` from a bootstrap write, checked against its type and range:
    /// 4.04 for a resource /0 does not define, 4.00 for a value outside its definition or
    /// longer than this crate keeps (a key of more than
    /// [`KEY_MAX`](lwm2m_runtime::client::KEY_MAX) bytes). Resources this crate does not
    /// keep are accepted and dropped.
    pub fn set(&mut self, resource: u16, value: &Value<'_>) -> Result<(), Error> {
        let info = sec::Spec::INFO.resource(resource).ok_or(Error::NotFound)?;
        info.check(value)?;
        self.take(resource, value).map_err(|e| match e {
            Error::TooLarge => Error::BadRequest,
            e => e,
        })
    }

    /// Takes a checked value.
    fn take(&mut self, resource: u16, value: &Value<'_>) -> Result<(), Error> {
        match resource {
            r::LWM2M_SERVER_URI => self.server_uri = ValueType::from_value(value)?,
            r::BOOTSTRAP_SERVER => self.bootstrap_server = ValueType::from_value(value)?,
            r::SECURITY_MODE => self.security_mode = ValueType::from_value(value)?,
            r::PUBLIC_KEY_OR_IDENTITY => {
                self.public_key_or_identity = ValueType::from_value(value)?;
            }
            r::SERVER_PUBLIC_KEY => self.server_public_key = ValueType::from_value(value)?,
            r::SECRET_KEY => self.secret_key = ValueType::from_value(value)?,
            r::SMS_SECURITY_MODE => self.sms_security_mode = Some(ValueType::from_value(value)?),
            r::SMS_BINDING_KEY_PARAMETERS => {
                self.sms_binding_key_parameters = Some(ValueType::from_value(value)?);
            }
            r::SMS_BINDING_SECRET_KEY_S => {
                self.sms_binding_secret_keys = Some(ValueType::from_value(value)?);
            }
            r::LWM2M_SERVER_SMS_NUMBER => {
                self.server_sms_number = Some(ValueType::from_value(value)?);
            }
            r::SHORT_SERVER_ID => self.short_server_id = Some(ValueType::from_value(value)?),
            r::CLIENT_HOLD_OFF_TIME => {
                self.client_hold_off_time = Some(ValueType::from_value(value)?);
            }
            r::BOOTSTRAP_SERVER_ACCOUNT_TIMEOUT => {
                self.bootstrap_server_account_timeout = Some(ValueType::from_value(value)?);
            }
            _ => {}
        }
        Ok(())
    }

    /// Every value kept, as items of `/0/instance`, in resource order (what the records
    /// store).
    pub fn items<'s>(&'s self, instance: u16) -> Result<Vec<Item<'s>>, Error> {
        let mut items = Vec::new();
        let mut push = |resource: u16, value: Value<'s>| -> Result<(), Error> {
            let kind = sec::Spec::INFO
                .resource(resource)
                .ok_or(Error::Internal)?
                .kind;
            let path = Path::new(&[sec::ID, instance, resource]).ok_or(Error::Internal)?;
            items.push(Item { path, kind, value });
            Ok(())
        };
        push(r::LWM2M_SERVER_URI, self.server_uri.to_value())?;
        push(r::BOOTSTRAP_SERVER, self.bootstrap_server.to_value())?;
        push(r::SECURITY_MODE, self.security_mode.to_value())?;
        push(
            r::PUBLIC_KEY_OR_IDENTITY,
            self.public_key_or_identity.to_value(),
        )?;
        push(r::SERVER_PUBLIC_KEY, self.server_public_key.to_value())?;
        push(r::SECRET_KEY, self.secret_key.to_value())?;
        if let Some(v) = &self.sms_security_mode {
            push(r::SMS_SECURITY_MODE, v.to_value())?;
        }
        if let Some(v) = &self.sms_binding_key_parameters {
            push(r::SMS_BINDING_KEY_PARAMETERS, v.to_value())?;
        }
        if let Some(v) = &self.sms_binding_secret_keys {
            push(r::SMS_BINDING_SECRET_KEY_S, v.to_value())?;
        }
        if let Some(v) = &self.server_sms_number {
            push(r::LWM2M_SERVER_SMS_NUMBER, v.to_value())?;
        }
        if let Some(v) = &self.short_server_id {
            push(r::SHORT_SERVER_ID, v.to_value())?;
        }
        if let Some(v) = &self.client_hold_off_time {
            push(r::CLIENT_HOLD_OFF_TIME, v.to_value())?;
        }
        if let Some(v) = &self.bootstrap_server_account_timeout {
            push(r::BOOTSTRAP_SERVER_ACCOUNT_TIMEOUT, v.to_value())?;
        }
        Ok(items)
    }

    /// The security of the connection, with its key material.
    pub fn security(&self) -> Security {
        let bytes = |v: &heapless::Vec<u8, 256>| heapless::Vec::from_slice(v).unwrap_or_default();
        let secret = Secret(bytes(&self.secret_key));
        match self.security_mode {
            SecurityMode::NoSec => Security::NoSec,
            SecurityMode::PreSharedKey => Security::Psk {
                identity: bytes(&self.public_key_or_identity),
                key: secret,
            },
            SecurityMode::RawPublicKey => Security::RawPublicKey {
                public_key: bytes(&self.public_key_or_identity),
                server_public_key: bytes(&self.server_public_key),
                private_key: secret,
            },
            SecurityMode::Certificate | SecurityMode::CertificateWithEst => Security::Certificate {
                certificate: bytes(&self.public_key_or_identity),
                server_certificate: bytes(&self.server_public_key),
                private_key: secret,
                est: self.security_mode == SecurityMode::CertificateWithEst,
            },
        }
    }
}
