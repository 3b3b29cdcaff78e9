//! Objects as the client serves them: values on the wire, typed values in Rust, and the
//! [`Object`] trait every served object implements (generated adapters, derived structs, or
//! hand-written code).

use heapless::{String, Vec};

use crate::client::{Account, Context, DownloadEvent};
use crate::error::Error;
use crate::format::Item;
use crate::spec::{
    Constraint, Executable, ObjectInfo, ObjectSpec, Readable, ResourceInfo, ResourceType, Writable,
};
use crate::value::{Chunk, ExecuteArgs, Instances, ObjLink, Time};

/// One value as content formats carry it, borrowing from the payload.
///
/// Decoders produce the variant of the resource's declared type, so handlers never guess.
/// Reads may give an integer as either [`Value::Integer`] or [`Value::Unsigned`] (a `u8`
/// field of an Integer resource reads as `Unsigned`); encoders write the number in the form
/// the resource's declared type asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// `Integer`.
    Integer(i64),
    /// `Unsigned Integer`.
    Unsigned(u64),
    /// `Float`.
    Float(f64),
    /// `Boolean`.
    Boolean(bool),
    /// `String`.
    String(&'a str),
    /// `Opaque`.
    Opaque(&'a [u8]),
    /// `Time`, seconds since the epoch.
    Time(i64),
    /// `Objlnk`.
    ObjLink(ObjLink),
    /// `Corelnk`, CoRE link format text.
    CoreLink(&'a str),
}

impl Value<'_> {
    /// The LwM2M type this value carries.
    pub const fn kind(&self) -> ResourceType {
        match self {
            Self::Integer(_) => ResourceType::Integer,
            Self::Unsigned(_) => ResourceType::UnsignedInteger,
            Self::Float(_) => ResourceType::Float,
            Self::Boolean(_) => ResourceType::Boolean,
            Self::String(_) => ResourceType::String,
            Self::Opaque(_) => ResourceType::Opaque,
            Self::Time(_) => ResourceType::Time,
            Self::ObjLink(_) => ResourceType::Objlnk,
            Self::CoreLink(_) => ResourceType::Corelnk,
        }
    }

    /// The value as a signed integer, from any integer-like variant that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Self::Integer(v) | Self::Time(v) => Some(v),
            Self::Unsigned(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as an unsigned integer, from any integer-like variant that fits.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Self::Unsigned(v) => Some(v),
            Self::Integer(v) | Self::Time(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }
}

impl Constraint {
    /// Checks a value against the constraint: 4.00 Bad Request when outside it.
    pub fn check(&self, value: &Value<'_>) -> Result<(), Error> {
        let allowed = match *value {
            Value::Integer(v) | Value::Time(v) => self.allows_i64(v),
            Value::Unsigned(v) => self.allows_u64(v),
            Value::Float(v) => self.allows_f64(v),
            Value::String(s) | Value::CoreLink(s) => self.allows_len(s.len()),
            Value::Opaque(b) => self.allows_len(b.len()),
            Value::Boolean(_) | Value::ObjLink(_) => true,
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::BadRequest)
        }
    }
}

impl ResourceInfo {
    /// Checks that a value written to this resource has its type and is inside its declared
    /// range: 4.00 Bad Request otherwise.
    pub fn check(&self, value: &Value<'_>) -> Result<(), Error> {
        let kind_fits = match (self.kind, value) {
            (ResourceType::Integer, Value::Unsigned(v)) => i64::try_from(*v).is_ok(),
            (ResourceType::UnsignedInteger, Value::Integer(v)) => *v >= 0,
            (ResourceType::Time, Value::Integer(_)) => true,
            (kind, value) => kind == value.kind(),
        };
        if !kind_fits {
            return Err(Error::BadRequest);
        }
        self.constraint.check(value)
    }
}

/// A Rust type that holds one LwM2M value: integers, `f64`, `bool`, bounded strings and byte
/// vectors, [`Time`], [`ObjLink`], and generated enums.
pub trait ValueType: Sized {
    /// The value, borrowing from `self`.
    fn to_value(&self) -> Value<'_>;

    /// The Rust value for a decoded one: 4.00 Bad Request when the type does not match or
    /// the number does not fit, 4.13 Request Entity Too Large when text or bytes exceed the
    /// capacity.
    fn from_value(value: &Value<'_>) -> Result<Self, Error>;
}

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl ValueType for $t {
            fn to_value(&self) -> Value<'_> {
                Value::Integer(i64::from(*self))
            }
            fn from_value(value: &Value<'_>) -> Result<Self, Error> {
                value.as_i64().and_then(|v| <$t>::try_from(v).ok()).ok_or(Error::BadRequest)
            }
        }
    )*};
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl ValueType for $t {
            fn to_value(&self) -> Value<'_> {
                Value::Unsigned(u64::from(*self))
            }
            fn from_value(value: &Value<'_>) -> Result<Self, Error> {
                value.as_u64().and_then(|v| <$t>::try_from(v).ok()).ok_or(Error::BadRequest)
            }
        }
    )*};
}

signed!(i8, i16, i32, i64);
unsigned!(u8, u16, u32, u64);

impl ValueType for f64 {
    fn to_value(&self) -> Value<'_> {
        Value::Float(*self)
    }
    fn from_value(value: &Value<'_>) -> Result<Self, Error> {
        match *value {
            Value::Float(v) => Ok(v),
            _ => Err(Error::BadRequest),
        }
    }
}

impl ValueType for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Boolean(*self)
    }
    fn from_value(value: &Value<'_>) -> Result<Self, Error> {
        match *value {
            Value::Boolean(v) => Ok(v),
            _ => Err(Error::BadRequest),
        }
    }
}

impl ValueType for Time {
    fn to_value(&self) -> Value<'_> {
        Value::Time(self.0)
    }
    fn from_value(value: &Value<'_>) -> Result<Self, Error> {
        match *value {
            Value::Time(v) | Value::Integer(v) => Ok(Time(v)),
            _ => Err(Error::BadRequest),
        }
    }
}

impl ValueType for ObjLink {
    fn to_value(&self) -> Value<'_> {
        Value::ObjLink(*self)
    }
    fn from_value(value: &Value<'_>) -> Result<Self, Error> {
        match *value {
            Value::ObjLink(v) => Ok(v),
            _ => Err(Error::BadRequest),
        }
    }
}

impl<const N: usize> ValueType for String<N> {
    fn to_value(&self) -> Value<'_> {
        Value::String(self.as_str())
    }
    fn from_value(value: &Value<'_>) -> Result<Self, Error> {
        match *value {
            Value::String(s) | Value::CoreLink(s) => {
                String::try_from(s).map_err(|_| Error::TooLarge)
            }
            _ => Err(Error::BadRequest),
        }
    }
}

impl<const N: usize> ValueType for Vec<u8, N> {
    fn to_value(&self) -> Value<'_> {
        Value::Opaque(self.as_slice())
    }
    fn from_value(value: &Value<'_>) -> Result<Self, Error> {
        match *value {
            Value::Opaque(b) => Vec::from_slice(b).map_err(|_| Error::TooLarge),
            _ => Err(Error::BadRequest),
        }
    }
}

/// Where a read puts its values: one call per value, with the resource instance ID for
/// multiple-instance resources. Content-format encoders implement it.
pub trait ReadSink {
    /// Takes one value. An error stops the read (e.g. 4.13 when the response buffer is full).
    fn value(&mut self, instance: Option<u16>, value: Value<'_>) -> Result<(), Error>;
}

/// What a write carries to one resource.
pub enum Write<'a, 'b> {
    /// The new value of a single-instance resource.
    Value(Value<'a>),
    /// Resource instances of a multiple-instance resource, decoded as they are read. With
    /// `replace` (CoAP PUT) they become the whole set; without (POST, partial update) they are
    /// added or updated.
    Instances {
        /// Whether the instances replace the existing set.
        replace: bool,
        /// The `(resource instance ID, value)` pairs, or the decoding error that stopped them.
        items: &'b mut dyn Iterator<Item = Result<(u16, Value<'a>), Error>>,
    },
    /// A piece of a value streamed in blocks (an unbounded Opaque such as a firmware package).
    Chunk(Chunk<'a>),
}

/// An object the client serves: the definition it implements and the read, write and execute
/// operations on its instances.
///
/// The client checks operations and types against [`Object::info`] before calling, so an
/// implementation only serves what its definition allows; answering [`Error::NotFound`] for
/// anything else is always correct.
pub trait Object {
    /// The definition: IDs, operations, types and ranges of every resource.
    fn info(&self) -> &'static ObjectInfo;

    /// Calls `f` with the ID of every instance, in increasing order.
    fn instances(&self, f: &mut dyn FnMut(u16));

    /// Reads resource `resource` of instance `instance` into `out`.
    fn read(&mut self, instance: u16, resource: u16, out: &mut dyn ReadSink) -> Result<(), Error>;

    /// Reads `buf.len()` bytes (fewer only at the end) of a streamed resource from `offset`;
    /// for resources too large to read whole (Block2).
    fn read_chunk(
        &mut self,
        instance: u16,
        resource: u16,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        let _ = (instance, resource, offset, buf);
        Err(Error::MethodNotAllowed)
    }

    /// Writes resource `resource` of instance `instance`.
    fn write(&mut self, instance: u16, resource: u16, write: Write<'_, '_>) -> Result<(), Error>;

    /// Checks a value a server writes, before anything of the write changes: the client
    /// calls it for every value of a Write (after the type and range checks of the
    /// definition), so a rule the definition cannot state (a lifetime that must not be
    /// negative) refuses the whole write rather than the rest of it. By default every value
    /// the definition allows.
    fn validate(&self, instance: u16, resource: u16, value: &Value<'_>) -> Result<(), Error> {
        let _ = (instance, resource, value);
        Ok(())
    }

    /// Whether the resource takes its value in pieces ([`Write::Chunk`]), as unbounded data
    /// such as a firmware package does. The client then streams block-wise writes to it.
    fn accepts_chunks(&self, resource: u16) -> bool {
        let _ = resource;
        false
    }

    /// The most bytes a chunked resource takes, when known: a write declaring more (Size1) is
    /// refused with 4.13 and this size before any byte is written.
    fn chunk_capacity(&self, resource: u16) -> Option<u32> {
        let _ = resource;
        None
    }

    /// Whether the object serves a resource its definition has, for Discover. By default every
    /// resource the definition has.
    fn implements(&self, resource: u16) -> bool {
        let _ = resource;
        true
    }

    /// Executes resource `resource` of instance `instance`.
    fn execute(&mut self, instance: u16, resource: u16, args: ExecuteArgs<'_>)
    -> Result<(), Error>;

    /// Work of the object's own, between requests: report a change every observer must hear,
    /// start or stop a download, ask to be polled again at a time. The client polls every
    /// object after each request it serves, after each download event and at every
    /// [`poll`](crate::client::Client::poll). By default there is nothing to do.
    fn poll(&mut self, cx: &mut Context<'_>) {
        let _ = cx;
    }

    /// What a download this object started ([`Context::download`]) delivered.
    fn download(&mut self, cx: &mut Context<'_>, event: DownloadEvent<'_>) {
        let _ = (cx, event);
    }

    /// A Bootstrap-Server's write (Bootstrap-Write): `items` are the values of one request,
    /// decoded (`/o/i/r` or `/o/i/r/ri` of this object); instances that do not exist yet are
    /// created. The object checks the whole write before it changes anything, so an error
    /// refuses all of it. By default an object takes no bootstrap writes (4.05).
    fn bootstrap_write(&mut self, items: &[Item<'_>]) -> Result<(), Error> {
        let _ = items;
        Err(Error::MethodNotAllowed)
    }

    /// A Bootstrap-Server's delete (Bootstrap-Delete) of instance `instance`, or of every
    /// instance (`None`). An object that keeps instances a Bootstrap-Server may not delete
    /// (the Bootstrap-Server's own account) keeps them. By default an object's instances
    /// cannot be deleted (4.05); a delete of `/` leaves such objects as they are.
    fn bootstrap_delete(&mut self, instance: Option<u16>) -> Result<(), Error> {
        let _ = instance;
        Err(Error::MethodNotAllowed)
    }

    /// Whether a Bootstrap-Server may read this object (Bootstrap-Read): LwM2M 1.1 allows it
    /// of the Server object (and Access Control) only, so by default not.
    fn bootstrap_readable(&self) -> bool {
        false
    }

    /// What Bootstrap-Discover tells of instance `instance` beyond its path: `f` is called
    /// once with the Short Server ID and server URI of the account the instance belongs to
    /// (Objects 0 and 1), or not at all (the default).
    fn bootstrap_link(&self, instance: u16, f: &mut dyn FnMut(BootstrapLink<'_>)) {
        let _ = (instance, f);
    }

    /// The whole management-server accounts this object holds (Object 1 of `lwm2m-servers`,
    /// which pairs its instances with those of Object 0): `f` is called once for each.
    /// Bootstrap-Finish succeeds only when some object has one, and the client registers
    /// with the one of the lowest Short Server ID. None by default.
    fn accounts(&self, f: &mut dyn FnMut(Account)) {
        let _ = f;
    }
}

/// What Bootstrap-Discover shows of an account's instance (`</0/1>;ssid=101;uri="..."`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BootstrapLink<'a> {
    /// The Short Server ID (`ssid`), for a management server's instance.
    pub ssid: Option<u16>,
    /// The server URI (`uri`), for a Security instance.
    pub uri: Option<&'a str>,
}

/// A served object whose definition is the type `Spec`, so its resources can be named by
/// their generated types (see [`TypedAccess`]).
pub trait Typed: Object {
    /// The definition, e.g. `firmware_update::Spec`.
    type Spec: ObjectSpec;
}

/// Access to a served object through the generated resource types. The compiler checks the
/// definition's rules: writing a read-only resource, executing one that is not executable or
/// naming a resource of another object does not compile.
///
/// ```compile_fail,E0271
/// # use lwm2m_runtime::{TypedAccess, Typed};
/// # fn demo<O: Typed, R: lwm2m_runtime::Writable>(o: &mut O, v: &R::Value)
/// # where R::Value: lwm2m_runtime::ValueType {
/// o.write_resource::<R>(0, v); // R belongs to some other object
/// # }
/// ```
pub trait TypedAccess: Typed {
    /// Writes a single-instance resource, checked against its type and range as a server's
    /// write would be.
    fn write_resource<R>(&mut self, instance: u16, value: &R::Value) -> Result<(), Error>
    where
        R: Writable<Object = Self::Spec>,
        R::Value: ValueType,
    {
        let value = value.to_value();
        R::INFO.check(&value)?;
        self.write(instance, R::ID, Write::Value(value))
    }

    /// Reads a single-instance resource.
    fn read_resource<R>(&mut self, instance: u16) -> Result<R::Value, Error>
    where
        R: Readable<Object = Self::Spec>,
        R::Value: ValueType,
    {
        let mut one = One(None);
        self.read(instance, R::ID, &mut one)?;
        one.0.unwrap_or(Err(Error::NotFound))
    }

    /// Executes a resource.
    fn execute_resource<R>(&mut self, instance: u16, args: ExecuteArgs<'_>) -> Result<(), Error>
    where
        R: Executable<Object = Self::Spec>,
    {
        self.execute(instance, R::ID, args)
    }
}

impl<T: Typed + ?Sized> TypedAccess for T {}

/// Keeps the one value of a single-instance read, converted.
struct One<T>(Option<Result<T, Error>>);

impl<T: ValueType> ReadSink for One<T> {
    fn value(&mut self, instance: Option<u16>, value: Value<'_>) -> Result<(), Error> {
        if instance.is_some() || self.0.is_some() {
            return Err(Error::BadRequest);
        }
        self.0 = Some(T::from_value(&value));
        Ok(())
    }
}

/// Builds the new value of a multiple-instance resource from a [`Write::Instances`]: a copy of
/// `current` updated with the items (or only the items when replacing), each decoded and
/// checked against `info`. Nothing changes unless every item is valid, so a bad item leaves the
/// resource as it was. 4.13 when there are more instances than the resource can hold.
pub fn collect_instances<T: ValueType + Clone, const N: usize>(
    info: &ResourceInfo,
    current: Option<&Instances<T, N>>,
    replace: bool,
    items: &mut dyn Iterator<Item = Result<(u16, Value<'_>), Error>>,
) -> Result<Instances<T, N>, Error> {
    let mut next = match (replace, current) {
        (false, Some(current)) => current.clone(),
        _ => Instances::new(),
    };
    for item in items {
        let (id, value) = item?;
        info.check(&value)?;
        let typed = T::from_value(&value)?;
        next.insert(id, typed).map_err(|_| Error::TooLarge)?;
    }
    Ok(next)
}

/// Reads every instance of a multiple-instance resource into `out`.
pub fn read_instances<T: ValueType, const N: usize>(
    instances: &Instances<T, N>,
    out: &mut dyn ReadSink,
) -> Result<(), Error> {
    instances
        .iter()
        .try_for_each(|(id, v)| out.value(Some(id), v.to_value()))
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::vec::Vec as StdVec;

    use super::*;
    use crate::spec::{Multiplicity, Operations, Requirement};

    fn info(kind: ResourceType, constraint: Constraint) -> ResourceInfo {
        ResourceInfo {
            id: 1,
            name: "R",
            operations: Operations::ReadWrite,
            kind,
            multiplicity: Multiplicity::Single,
            requirement: Requirement::Mandatory,
            constraint,
            units: "",
        }
    }

    #[test]
    fn integers_convert_only_when_they_fit() {
        assert_eq!(u8::from_value(&Value::Integer(255)), Ok(255));
        assert_eq!(u8::from_value(&Value::Integer(256)), Err(Error::BadRequest));
        assert_eq!(u8::from_value(&Value::Integer(-1)), Err(Error::BadRequest));
        assert_eq!(i8::from_value(&Value::Unsigned(127)), Ok(127));
        assert_eq!(
            i64::from_value(&Value::Unsigned(u64::MAX)),
            Err(Error::BadRequest)
        );
        assert_eq!(u64::from_value(&Value::Unsigned(u64::MAX)), Ok(u64::MAX));
        assert_eq!(i32::from_value(&Value::Float(1.0)), Err(Error::BadRequest));
        assert_eq!(7u16.to_value(), Value::Unsigned(7));
        assert_eq!((-7i16).to_value(), Value::Integer(-7));
    }

    #[test]
    fn text_and_bytes_refuse_what_exceeds_their_capacity() {
        assert_eq!(
            String::<4>::from_value(&Value::String("abcd")).map(|s| s.len()),
            Ok(4)
        );
        assert_eq!(
            String::<4>::from_value(&Value::String("abcde")),
            Err(Error::TooLarge)
        );
        assert_eq!(
            String::<4>::from_value(&Value::Opaque(b"ab")),
            Err(Error::BadRequest)
        );
        assert_eq!(
            Vec::<u8, 2>::from_value(&Value::Opaque(b"abc")),
            Err(Error::TooLarge)
        );
        assert_eq!(
            Vec::<u8, 2>::from_value(&Value::Opaque(b"ab")).map(|v| v.len()),
            Ok(2)
        );
    }

    #[test]
    fn resource_check_enforces_type_and_range() {
        let level = info(ResourceType::Integer, Constraint::Signed(&[(0, 100)]));
        assert_eq!(level.check(&Value::Integer(100)), Ok(()));
        assert_eq!(level.check(&Value::Integer(101)), Err(Error::BadRequest));
        assert_eq!(
            level.check(&Value::Unsigned(5)),
            Ok(()),
            "an unsigned that fits is an integer"
        );
        assert_eq!(level.check(&Value::String("5")), Err(Error::BadRequest));
        let uri = info(ResourceType::String, Constraint::Length(&[(0, 3)]));
        assert_eq!(uri.check(&Value::String("abc")), Ok(()));
        assert_eq!(uri.check(&Value::String("abcd")), Err(Error::BadRequest));
        let time = info(ResourceType::Time, Constraint::None);
        assert_eq!(time.check(&Value::Integer(5)), Ok(()));
    }

    #[test]
    fn instance_writes_are_all_or_nothing() {
        let r = info(ResourceType::Integer, Constraint::Signed(&[(0, 50)]));
        let mut current: Instances<u8, 2> = Instances::new();
        current.insert(0, 7).unwrap();
        let items = [Ok((1, Value::Integer(9)))];
        let merged = collect_instances(&r, Some(&current), false, &mut items.into_iter()).unwrap();
        assert_eq!(
            merged.iter().map(|(i, v)| (i, *v)).collect::<StdVec<_>>(),
            [(0, 7), (1, 9)]
        );
        let items = [Ok((1, Value::Integer(9)))];
        let replaced = collect_instances(&r, Some(&current), true, &mut items.into_iter()).unwrap();
        assert_eq!(replaced.len(), 1);
        let bad = [Ok((1, Value::Integer(9))), Ok((2, Value::Integer(99)))];
        assert_eq!(
            collect_instances(&r, Some(&current), false, &mut bad.into_iter()),
            Err(Error::BadRequest)
        );
        let too_many = [Ok((1, Value::Integer(1))), Ok((2, Value::Integer(2)))];
        assert_eq!(
            collect_instances(&r, Some(&current), false, &mut too_many.into_iter()),
            Err(Error::TooLarge)
        );
    }

    struct Collect(StdVec<(Option<u16>, i64)>);
    impl ReadSink for Collect {
        fn value(&mut self, instance: Option<u16>, value: Value<'_>) -> Result<(), Error> {
            self.0
                .push((instance, value.as_i64().ok_or(Error::Internal)?));
            Ok(())
        }
    }

    #[test]
    fn reading_instances_gives_each_with_its_id() {
        let mut m: Instances<i8, 4> = Instances::new();
        m.insert(3, -1).unwrap();
        m.insert(1, 5).unwrap();
        let mut out = Collect(StdVec::new());
        read_instances(&m, &mut out).unwrap();
        assert_eq!(out.0, [(Some(1), 5), (Some(3), -1)]);
    }
}
