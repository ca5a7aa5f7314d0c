//! One worker type for every service thread: orders in through a channel, the thread handles
//! them one at a time, and one rule for the end.
//!
//! The rule: dropping the [`Worker`] tells its thread to stop after the orders already queued
//! and waits for it. [`Orders`] handles may outlive the worker (the UI drops last); sending
//! to a stopped worker is logged and the order dropped, never a panic or a hang.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

enum Msg<O> {
    Order(O),
    Stop,
}

/// A thread's life as others see it: alive from its start until it ends, by returning or by
/// a panic. The kiosk's watchdog pings systemd only while every one is alive.
#[derive(Debug, Clone)]
pub struct Life(Arc<AtomicBool>);

/// Held by the thread itself; dropping it (the thread's end, unwinding included) ends the life.
pub struct LifeGuard(Arc<AtomicBool>);

impl Life {
    /// A life and the guard its thread holds.
    pub fn start() -> (Life, LifeGuard) {
        let flag = Arc::new(AtomicBool::new(true));
        (Life(flag.clone()), LifeGuard(flag))
    }

    /// Whether the thread still runs.
    pub fn is_alive(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for LifeGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// The sending half: cheap to clone, handed to whoever gives the worker orders.
pub struct Orders<O> {
    tx: Sender<Msg<O>>,
    name: &'static str,
}

impl<O> Clone for Orders<O> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
            name: self.name,
        }
    }
}

impl<O> Orders<O> {
    /// Queues an order; never blocks.
    pub fn send(&self, order: O) {
        if self.tx.send(Msg::Order(order)).is_err() {
            tracing::error!(worker = self.name, "worker thread is gone: order dropped");
        }
    }
}

/// A started worker and the handle that gives it orders.
pub type Spawned<O> = (Worker<O>, Orders<O>);

/// A running service thread. Dropping it stops the thread after the queued orders and joins it.
pub struct Worker<O> {
    stop: Sender<Msg<O>>,
    thread: Option<JoinHandle<()>>,
    life: Life,
}

impl<O: Send + 'static> Worker<O> {
    /// Starts thread `name`, which calls `handle(&mut state, order)` for each order in turn.
    pub fn spawn<S: Send + 'static>(
        name: &'static str,
        mut state: S,
        mut handle: impl FnMut(&mut S, O) + Send + 'static,
    ) -> std::io::Result<Spawned<O>> {
        let (tx, rx): (Sender<Msg<O>>, Receiver<Msg<O>>) = mpsc::channel();
        let (life, guard) = Life::start();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _life = guard;
                for msg in rx {
                    match msg {
                        Msg::Order(order) => handle(&mut state, order),
                        Msg::Stop => break,
                    }
                }
            })?;
        Ok((
            Self {
                stop: tx.clone(),
                thread: Some(thread),
                life,
            },
            Orders { tx, name },
        ))
    }
}

impl<O> Worker<O> {
    /// Whether its thread still runs (the service manager's watchdog asks).
    pub fn life(&self) -> Life {
        self.life.clone()
    }
}

impl<O> Drop for Worker<O> {
    fn drop(&mut self) {
        // Fails only when the thread already ended (it panicked): nothing to stop then.
        let _ = self.stop.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("a worker thread panicked");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn orders_run_in_turn_and_drop_waits_for_the_queued_ones() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (worker, orders) = Worker::spawn("test-worker", seen.clone(), |s, n: u32| {
            s.lock().unwrap().push(n)
        })
        .unwrap();
        for n in 0..100 {
            orders.send(n);
        }
        drop(worker);
        assert_eq!(*seen.lock().unwrap(), (0..100).collect::<Vec<_>>());
        // The UI may still hold a handle: sending now is a logged no-op.
        orders.send(7);
    }

    #[test]
    fn dropping_the_worker_does_not_wait_for_outstanding_handles() {
        let (worker, orders) = Worker::spawn("test-worker", (), |_, _: ()| {}).unwrap();
        let kept = orders.clone();
        drop(worker); // returns although `orders` and `kept` are alive
        kept.send(());
    }
}
