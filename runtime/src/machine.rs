//! State machines of objects, as the generator emits them from a machine file written beside
//! the object's XML (`5.machine.toml` for Firmware Update).
//!
//! A machine file lists the edges of the object's state diagram: the event, the states it
//! leaves, the state it reaches and the results it may set. From it the generator emits, in
//! the object's `machine` module:
//!
//! * `Spec`, implementing [`MachineSpec`]: the table of [`Transition`]s;
//! * `Event`, one variant per event;
//! * one handle type per state whose methods are exactly the edges leaving that state, each
//!   consuming the handle and returning the handle of the state it reaches, so that an illegal
//!   transition does not compile;
//! * `Current`, the handle of the state a [`Machine`] is in ([`Machine::current`]).
//!
//! Every transition, through a handle or through [`Machine::fire`] (what a server's request
//! triggers, decided at run time), is checked against the same table.

use core::fmt;

use crate::error::Error;
use crate::value::Enumeration;

/// One edge of a state diagram: `event` moves the state from `from` to `to` and sets one of
/// `results`.
pub struct Transition<S: MachineSpec> {
    /// What happens.
    pub event: S::Event,
    /// The state it leaves.
    pub from: S::State,
    /// The state it reaches (`from` for an edge that only changes the result).
    pub to: S::State,
    /// The results it may set; the first is the one [`Machine::fire_default`] sets.
    pub results: &'static [S::Result],
}

impl<S: MachineSpec> fmt::Debug for Transition<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transition")
            .field("event", &self.event)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("results", &self.results)
            .finish()
    }
}

/// A state machine as a type: its states, results, events and table. Implemented by
/// generated code.
pub trait MachineSpec: Sized + 'static {
    /// The values of the state resource.
    type State: Enumeration + fmt::Debug + PartialEq;
    /// The values of the result resource.
    type Result: Enumeration + fmt::Debug + PartialEq;
    /// The events of the table.
    type Event: Copy + fmt::Debug + PartialEq;
    /// The handle of whichever state a machine is in.
    type Current<'m>;

    /// The resource that holds the state (`/5/x/3` for Firmware Update).
    const STATE_RESOURCE: u16;
    /// The resource that holds the result (`/5/x/5`).
    const RESULT_RESOURCE: u16;
    /// The state and result a new machine starts in.
    const INITIAL: (Self::State, Self::Result);
    /// Every edge of the diagram.
    const TRANSITIONS: &'static [Transition<Self>];

    /// The handle of the state `machine` is in.
    fn current(machine: &mut Machine<Self>) -> Self::Current<'_>;
}

/// The state and result of one object instance, moved only along the edges of its table.
pub struct Machine<S: MachineSpec> {
    state: S::State,
    result: S::Result,
    changes: u32,
    /// The state and result after each of the last changes, oldest first, until
    /// [`Machine::take_passed`] takes them.
    passed: heapless::Deque<(S::State, S::Result), PASSED>,
}

/// How many changes [`Machine::take_passed`] remembers: the most a chain of transitions makes
/// before a client reports them.
pub const PASSED: usize = 4;

/// A transition the table does not allow from the machine's current state (a server asking
/// for it gets 4.05 Method Not Allowed), or a persisted state the table cannot reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the state machine does not allow this from its current state")
    }
}

impl core::error::Error for Refused {}

impl From<Refused> for Error {
    fn from(_: Refused) -> Self {
        Error::MethodNotAllowed
    }
}

impl<S: MachineSpec> Machine<S> {
    /// A machine in the initial state.
    pub const fn new() -> Self {
        Self {
            state: S::INITIAL.0,
            result: S::INITIAL.1,
            changes: 0,
            passed: heapless::Deque::new(),
        }
    }

    /// The state.
    pub fn state(&self) -> S::State {
        self.state
    }

    /// The result.
    pub fn result(&self) -> S::Result {
        self.result
    }

    /// How many times the state or the result changed since the machine was made or
    /// restored (wrapping): a change to persist, a value to notify.
    pub fn changes(&self) -> u32 {
        self.changes
    }

    /// The (state, result) after each change since the last call, oldest first; the last is
    /// the current one. At most [`PASSED`]: older ones are dropped. An observer that must hear
    /// of every change (a server watching State) is told of each in turn.
    pub fn take_passed(&mut self) -> heapless::Vec<(S::State, S::Result), PASSED> {
        let mut out = heapless::Vec::new();
        while let Some(entry) = self.passed.pop_front() {
            let _ = out.push(entry);
        }
        out
    }

    /// The handle of the current state, whose methods are the transitions allowed from it.
    pub fn current(&mut self) -> S::Current<'_> {
        S::current(self)
    }

    /// The edge `event` takes from the current state, if the table has one.
    pub fn edge(&self, event: S::Event) -> Option<&'static Transition<S>> {
        S::TRANSITIONS
            .iter()
            .find(|t| t.event == event && t.from == self.state)
    }

    /// Whether the table allows `event` from the current state.
    pub fn allows(&self, event: S::Event) -> bool {
        self.edge(event).is_some()
    }

    /// Fires `event`, setting `result`. Refused, and nothing changes, unless the table has an
    /// edge for `event` from the current state that may set `result`. Returns the new state.
    pub fn fire(&mut self, event: S::Event, result: S::Result) -> Result<S::State, Refused> {
        let edge = self.edge(event).ok_or(Refused)?;
        if !edge.results.contains(&result) {
            return Err(Refused);
        }
        self.set(edge.to, result);
        Ok(edge.to)
    }

    /// Fires `event` with the first result its edge lists (for edges that set one result).
    pub fn fire_default(&mut self, event: S::Event) -> Result<S::State, Refused> {
        let edge = self.edge(event).ok_or(Refused)?;
        let result = *edge.results.first().ok_or(Refused)?;
        self.set(edge.to, result);
        Ok(edge.to)
    }

    /// The transition a generated handle makes: checked against the table like every other.
    /// Handles exist only for the state the machine is in and only have the methods of its
    /// edges, so the check cannot refuse them; if it did, nothing would change.
    #[doc(hidden)]
    pub fn step(&mut self, event: S::Event, result: S::Result) {
        let _refused_only_if_the_generator_is_wrong = self.fire(event, result);
    }

    /// A machine in a persisted state. Values from flash are untrusted: both must name values
    /// of their resources, and the pair must be the initial one or one that an edge of the
    /// table sets.
    pub fn restore(state: i64, result: i64) -> Result<Self, Refused> {
        let state = S::State::from_value(state).ok_or(Refused)?;
        let result = S::Result::from_value(result).ok_or(Refused)?;
        if !Self::reachable(state, result) {
            return Err(Refused);
        }
        Ok(Self {
            state,
            result,
            changes: 0,
            passed: heapless::Deque::new(),
        })
    }

    /// Whether the table can leave a machine in `state` with `result`.
    pub fn reachable(state: S::State, result: S::Result) -> bool {
        (state, result) == S::INITIAL
            || S::TRANSITIONS
                .iter()
                .any(|t| t.to == state && t.results.contains(&result))
    }

    fn set(&mut self, state: S::State, result: S::Result) {
        if (state, result) != (self.state, self.result) {
            self.state = state;
            self.result = result;
            self.changes = self.changes.wrapping_add(1);
            if self.passed.is_full() {
                let _ = self.passed.pop_front();
            }
            let _ = self.passed.push_back((state, result));
        }
    }
}

impl<S: MachineSpec> Default for Machine<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: MachineSpec> Clone for Machine<S> {
    fn clone(&self) -> Self {
        Self {
            state: self.state,
            result: self.result,
            changes: self.changes,
            passed: self.passed.clone(),
        }
    }
}

impl<S: MachineSpec> PartialEq for Machine<S> {
    /// Machines are equal in the same state with the same result.
    fn eq(&self, other: &Self) -> bool {
        (self.state, self.result) == (other.state, other.result)
    }
}

impl<S: MachineSpec> fmt::Debug for Machine<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Machine")
            .field("state", &self.state)
            .field("result", &self.result)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    /// A two-state machine written by hand the way the generator writes them.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Door {
        Shut = 0,
        Open = 1,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Why {
        None = 0,
        Pushed = 1,
        Wind = 2,
        Jammed = 3,
    }

    macro_rules! enumeration {
        ($t:ident: $($v:ident = $n:literal),*) => {
            impl Enumeration for $t {
                const VARIANTS: &'static [Self] = &[$(Self::$v),*];
                fn value(self) -> i64 {
                    self as i64
                }
                fn from_value(value: i64) -> Option<Self> {
                    match value {
                        $($n => Some(Self::$v),)*
                        _ => None,
                    }
                }
                fn label(self) -> &'static str {
                    match self {
                        $(Self::$v => stringify!($v),)*
                    }
                }
            }
        };
    }
    enumeration!(Door: Shut = 0, Open = 1);
    enumeration!(Why: None = 0, Pushed = 1, Wind = 2, Jammed = 3);

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Event {
        Open,
        Close,
        Stick,
    }

    struct Spec;

    impl MachineSpec for Spec {
        type State = Door;
        type Result = Why;
        type Event = Event;
        type Current<'m> = Door;
        const STATE_RESOURCE: u16 = 1;
        const RESULT_RESOURCE: u16 = 2;
        const INITIAL: (Door, Why) = (Door::Shut, Why::None);
        const TRANSITIONS: &'static [Transition<Self>] = &[
            Transition {
                event: Event::Open,
                from: Door::Shut,
                to: Door::Open,
                results: &[Why::Pushed, Why::Wind],
            },
            Transition {
                event: Event::Close,
                from: Door::Open,
                to: Door::Shut,
                results: &[Why::None],
            },
            Transition {
                event: Event::Stick,
                from: Door::Open,
                to: Door::Open,
                results: &[Why::Jammed],
            },
        ];
        fn current(machine: &mut Machine<Self>) -> Door {
            machine.state()
        }
    }

    #[test]
    fn fire_follows_the_table_and_refuses_the_rest() {
        let mut m = Machine::<Spec>::new();
        assert_eq!(
            (m.state(), m.result(), m.changes()),
            (Door::Shut, Why::None, 0)
        );
        assert_eq!(
            m.fire(Event::Close, Why::None),
            Err(Refused),
            "not from Shut"
        );
        assert_eq!(
            m.fire(Event::Open, Why::Jammed),
            Err(Refused),
            "not a result of Open"
        );
        assert_eq!(m.changes(), 0, "refusals change nothing");
        assert_eq!(m.fire(Event::Open, Why::Wind), Ok(Door::Open));
        assert_eq!(
            (m.state(), m.result(), m.changes()),
            (Door::Open, Why::Wind, 1)
        );
        assert!(m.allows(Event::Stick) && !m.allows(Event::Open));
        assert_eq!(m.fire_default(Event::Stick), Ok(Door::Open));
        assert_eq!(m.result(), Why::Jammed);
        // The same state and result again is not a change.
        m.step(Event::Stick, Why::Jammed);
        assert_eq!(m.changes(), 2);
        let passed: std::vec::Vec<_> = m.take_passed().into_iter().collect();
        assert_eq!(passed, [(Door::Open, Why::Wind), (Door::Open, Why::Jammed)]);
        assert!(m.take_passed().is_empty());
        assert_eq!(m.current(), Door::Open);
        assert_eq!(Error::from(Refused), Error::MethodNotAllowed);
    }

    #[test]
    fn restore_takes_only_pairs_the_table_can_reach() {
        assert_eq!(
            Machine::<Spec>::restore(1, 2).map(|m| (m.state(), m.result())),
            Ok((Door::Open, Why::Wind))
        );
        assert_eq!(
            Machine::<Spec>::restore(0, 0).map(|m| m.state()),
            Ok(Door::Shut)
        );
        assert_eq!(
            Machine::<Spec>::restore(0, 1),
            Err(Refused),
            "Shut after a push"
        );
        assert_eq!(
            Machine::<Spec>::restore(2, 0),
            Err(Refused),
            "no such state"
        );
        assert_eq!(
            Machine::<Spec>::restore(1, -1),
            Err(Refused),
            "no such result"
        );
    }
}
