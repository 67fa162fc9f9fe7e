//! The handshake: the sans-IO state machines driven against each other (out-of-order calls
//! too) and by the runtime-free drivers of `hazmat::drive`; the async `Client` and `Server`
//! (authorization, wrong keys, timeouts, hang-ups, many clients at once); and `Authorize`.

#[path = "../common/mod.rs"]
mod common;

mod async_io;
mod authorize;
mod state_machines;
