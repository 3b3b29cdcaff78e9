//! One LwM2M Server instance (/1/x): how the client registers with one server and notifies
//! it, in the value types the generated `lwm2m_server` module gives its resources.
//!
//! Kept: Short Server ID, Lifetime, the default periods, Disable Timeout, Notification
//! Storing, Binding and the four Communication Retry settings. Other optional resources are
//! not served (4.04, the generated default) and a bootstrap write of them is dropped.

extern crate alloc;

use alloc::vec::Vec;

use lwm2m_objects::lwm2m_server::{self as srv, resources as r};
use lwm2m_runtime::client::{Binding, Retry, ServerSettings};
use lwm2m_runtime::format::Item;
use lwm2m_runtime::path::Path;
use lwm2m_runtime::{Error, ObjectSpec, ResourceSpec, Value, ValueType};

/// The value type the generated API gives resource `R`.
type V<R> = <R as ResourceSpec>::Value;

/// The values of one Server instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerInstance {
    /// Resource 0: the Short Server ID (1..65534).
    pub short_server_id: V<r::ShortServerId>,
    /// Resource 1: the registration lifetime, in seconds.
    pub lifetime: V<r::Lifetime>,
    /// Resource 2: the default minimum period, in seconds.
    pub default_minimum_period: Option<V<r::DefaultMinimumPeriod>>,
    /// Resource 3: the default maximum period, in seconds.
    pub default_maximum_period: Option<V<r::DefaultMaximumPeriod>>,
    /// Resource 5: how long Disable keeps the account off, in seconds.
    pub disable_timeout: Option<V<r::DisableTimeout>>,
    /// Resource 6: whether notifications are stored while the server is unreachable.
    pub notification_storing: V<r::NotificationStoringWhenDisabledOrOffline>,
    /// Resource 7: the binding letters.
    pub binding: V<r::Binding>,
    /// Resource 17: attempts in a registration sequence.
    pub communication_retry_count: Option<V<r::CommunicationRetryCount>>,
    /// Resource 18: the first wait between attempts, in seconds.
    pub communication_retry_timer: Option<V<r::CommunicationRetryTimer>>,
    /// Resource 19: the wait between sequences, in seconds.
    pub communication_sequence_delay_timer: Option<V<r::CommunicationSequenceDelayTimer>>,
    /// Resource 20: sequences before the client gives up.
    pub communication_sequence_retry_count: Option<V<r::CommunicationSequenceRetryCount>>,
}

impl ServerInstance {
    /// An instance for server `short_server_id` with `lifetime`, the rest at its defaults
    /// (UDP, notifications stored).
    pub fn new(short_server_id: u16, lifetime: u32) -> Self {
        Self {
            short_server_id,
            lifetime: i64::from(lifetime),
            default_minimum_period: None,
            default_maximum_period: None,
            disable_timeout: None,
            notification_storing: true,
            binding: heapless::String::try_from("U").unwrap_or_default(),
            communication_retry_count: None,
            communication_retry_timer: None,
            communication_sequence_delay_timer: None,
            communication_sequence_retry_count: None,
        }
    }

    /// Checks a value for resource `resource` beyond its definition's type and range: the
    /// periods and timers are seconds the client counts in 32 bits, so negative ones and
    /// ones past `u32::MAX` are refused, and a binding must be letters LwM2M defines, each
    /// once. 4.00 for a value that breaks them.
    pub fn validate(resource: u16, value: &Value<'_>) -> Result<(), Error> {
        let seconds = |v: &Value<'_>| {
            v.as_u64()
                .filter(|&s| u32::try_from(s).is_ok())
                .map(drop)
                .ok_or(Error::BadRequest)
        };
        match resource {
            r::LIFETIME
            | r::DEFAULT_MINIMUM_PERIOD
            | r::DEFAULT_MAXIMUM_PERIOD
            | r::DISABLE_TIMEOUT
            | r::COMMUNICATION_RETRY_COUNT
            | r::COMMUNICATION_RETRY_TIMER
            | r::COMMUNICATION_SEQUENCE_DELAY_TIMER
            | r::COMMUNICATION_SEQUENCE_RETRY_COUNT => seconds(value),
            r::BINDING => match value {
                Value::String(s) if Binding::new(s).is_some() => Ok(()),
                _ => Err(Error::BadRequest),
            },
            _ => Ok(()),
        }
    }

    /// Sets resource `resource` (a bootstrap write, or a server's write once the client
    /// checked it), checked against its definition and [`ServerInstance::validate`]: 4.04
    /// for a resource /1 does not define, 4.00 for a value outside its rules. Resources this
    /// crate does not keep are accepted and dropped.
    pub fn set(&mut self, resource: u16, value: &Value<'_>) -> Result<(), Error> {
        let info = srv::Spec::INFO.resource(resource).ok_or(Error::NotFound)?;
        info.check(value)?;
        Self::validate(resource, value)?;
        let v = value;
        match resource {
            r::SHORT_SERVER_ID => self.short_server_id = ValueType::from_value(v)?,
            r::LIFETIME => self.lifetime = ValueType::from_value(v)?,
            r::DEFAULT_MINIMUM_PERIOD => {
                self.default_minimum_period = Some(ValueType::from_value(v)?);
            }
            r::DEFAULT_MAXIMUM_PERIOD => {
                self.default_maximum_period = Some(ValueType::from_value(v)?);
            }
            r::DISABLE_TIMEOUT => self.disable_timeout = Some(ValueType::from_value(v)?),
            r::NOTIFICATION_STORING_WHEN_DISABLED_OR_OFFLINE => {
                self.notification_storing = ValueType::from_value(v)?;
            }
            r::BINDING => self.binding = ValueType::from_value(v)?,
            r::COMMUNICATION_RETRY_COUNT => {
                self.communication_retry_count = Some(ValueType::from_value(v)?);
            }
            r::COMMUNICATION_RETRY_TIMER => {
                self.communication_retry_timer = Some(ValueType::from_value(v)?);
            }
            r::COMMUNICATION_SEQUENCE_DELAY_TIMER => {
                self.communication_sequence_delay_timer = Some(ValueType::from_value(v)?);
            }
            r::COMMUNICATION_SEQUENCE_RETRY_COUNT => {
                self.communication_sequence_retry_count = Some(ValueType::from_value(v)?);
            }
            _ => {}
        }
        Ok(())
    }

    /// Every value kept, as items of `/1/instance`, in resource order.
    pub fn items<'s>(&'s self, instance: u16) -> Result<Vec<Item<'s>>, Error> {
        let mut items = Vec::new();
        let mut push = |resource: u16, value: Value<'s>| -> Result<(), Error> {
            let kind = srv::Spec::INFO
                .resource(resource)
                .ok_or(Error::Internal)?
                .kind;
            let path = Path::new(&[srv::ID, instance, resource]).ok_or(Error::Internal)?;
            items.push(Item { path, kind, value });
            Ok(())
        };
        push(r::SHORT_SERVER_ID, self.short_server_id.to_value())?;
        push(r::LIFETIME, self.lifetime.to_value())?;
        let optional = [
            (r::DEFAULT_MINIMUM_PERIOD, self.default_minimum_period),
            (r::DEFAULT_MAXIMUM_PERIOD, self.default_maximum_period),
            (r::DISABLE_TIMEOUT, self.disable_timeout),
        ];
        for (resource, value) in optional {
            if let Some(v) = value {
                push(resource, Value::Integer(v))?;
            }
        }
        push(
            r::NOTIFICATION_STORING_WHEN_DISABLED_OR_OFFLINE,
            self.notification_storing.to_value(),
        )?;
        push(r::BINDING, self.binding.to_value())?;
        let retry = [
            (r::COMMUNICATION_RETRY_COUNT, self.communication_retry_count),
            (r::COMMUNICATION_RETRY_TIMER, self.communication_retry_timer),
            (
                r::COMMUNICATION_SEQUENCE_DELAY_TIMER,
                self.communication_sequence_delay_timer,
            ),
            (
                r::COMMUNICATION_SEQUENCE_RETRY_COUNT,
                self.communication_sequence_retry_count,
            ),
        ];
        for (resource, value) in retry {
            if let Some(v) = value {
                push(resource, Value::Unsigned(v))?;
            }
        }
        Ok(items)
    }

    /// The Communication Retry settings, with LwM2M's defaults for those left out.
    pub fn retry(&self) -> Retry {
        let or =
            |v: Option<u64>, default: u32| v.and_then(|v| u32::try_from(v).ok()).unwrap_or(default);
        let d = Retry::DEFAULT;
        Retry {
            count: or(self.communication_retry_count, d.count),
            timer_s: or(self.communication_retry_timer, d.timer_s),
            sequence_delay_s: or(self.communication_sequence_delay_timer, d.sequence_delay_s),
            sequence_count: or(self.communication_sequence_retry_count, d.sequence_count),
        }
    }

    /// The settings the client follows. Values that passed [`ServerInstance::validate`]
    /// always convert; anything else (never stored) falls back to a default.
    pub fn settings(&self) -> ServerSettings {
        let secs = |v: i64| u32::try_from(v).ok();
        let mut s = ServerSettings::new(self.short_server_id, secs(self.lifetime).unwrap_or(0));
        s.default_pmin = self.default_minimum_period.and_then(secs).unwrap_or(0);
        s.default_pmax = self.default_maximum_period.and_then(secs);
        s.disable_timeout = self
            .disable_timeout
            .and_then(secs)
            .unwrap_or(ServerSettings::DEFAULT_DISABLE_TIMEOUT);
        s.notification_storing = self.notification_storing;
        s.binding = Binding::new(&self.binding).unwrap_or_default();
        s.retry = self.retry();
        s
    }
}
