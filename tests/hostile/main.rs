//! What an unauthenticated peer or an odd transport can do to a connection, tried against the
//! real `Server` and `Client`: truncation, bit flips, garbage and bad frame lengths, floods that
//! never read, slow peers and crowds of them, transports that fail once and then work, forked
//! children, paused clocks and runtimes without timers, keys outside the prime-order subgroup,
//! and resource use across many connections. Each test asserts the bound the docs state: heap
//! per connection (a counting allocator), the time a deadline fires, the bytes a retried read
//! returns, the error a bad key gets.
//!
//! Heap figures are process-wide, so every test that reads them holds
//! `common::heap::exclusive()` for the whole measurement.

#[path = "../common/mod.rs"]
mod common;

#[global_allocator]
static HEAP: common::heap::Counting = common::heap::Counting;

mod bit_flips;
mod clocks;
#[cfg(feature = "websocket")]
mod close;
#[cfg(feature = "websocket")]
mod deadlines;
mod frame_lengths;
mod garbage;
mod leaks;
mod lockout;
mod memory;
mod secrets_in_errors;
mod slowloris;
mod torsion;
#[cfg(feature = "tracing")]
mod tracing;
mod transient;
mod truncation;
mod websocket;
mod wire;
