//! A pod worker's mailbox: messages in order from one sender to one receiver, about a tenth of the memory of an unbounded tokio channel (which allocates a block of 32 slots per channel).

use super::WorkerMsg;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::Notify;

struct Shared {
    /// Messages not received yet, and whether the sender is gone.
    state: Mutex<(VecDeque<WorkerMsg>, bool)>,
    /// Woken on each message and when the sender goes.
    notify: Notify,
}

/// The sending side, held by the node agent. Dropping it ends the worker once the
/// messages already sent are received.
pub(crate) struct MailboxSender(Arc<Shared>);

/// The receiving side, held by the worker task.
pub(crate) struct MailboxReceiver(Arc<Shared>);

/// A new mailbox.
pub(crate) fn mailbox() -> (MailboxSender, MailboxReceiver) {
    let shared =
        Arc::new(Shared { state: Mutex::new((VecDeque::new(), false)), notify: Notify::new() });
    (MailboxSender(shared.clone()), MailboxReceiver(shared))
}

impl MailboxSender {
    /// Sends a message; it is lost when the worker has ended (its receiver is gone).
    pub(crate) fn send(&self, msg: WorkerMsg) {
        if Arc::strong_count(&self.0) < 2 {
            return;
        }
        self.0.state.lock().0.push_back(msg);
        self.0.notify.notify_one();
    }
}

impl Drop for MailboxSender {
    fn drop(&mut self) {
        self.0.state.lock().1 = true;
        self.0.notify.notify_one();
    }
}

impl MailboxReceiver {
    /// The next message, waiting for it; `None` once the sender is gone and every
    /// message sent was received.
    pub(crate) async fn recv(&mut self) -> Option<WorkerMsg> {
        loop {
            {
                let mut state = self.0.state.lock();
                if let Some(msg) = Self::pop(&mut state.0) {
                    return Some(msg);
                }
                if state.1 {
                    return None;
                }
            }
            // A notification sent since the check above is kept as a permit.
            self.0.notify.notified().await;
        }
    }

    /// The next message if one is waiting.
    pub(crate) fn try_recv(&mut self) -> Option<WorkerMsg> {
        Self::pop(&mut self.0.state.lock().0)
    }

    /// The first message; the queue's buffer is freed once it is empty (a worker is idle
    /// most of its life).
    fn pop(queue: &mut VecDeque<WorkerMsg>) -> Option<WorkerMsg> {
        let msg = queue.pop_front();
        if queue.is_empty() && queue.capacity() > 0 {
            *queue = VecDeque::new();
        }
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_arrive_in_order_and_the_end_after_them() {
        let (tx, mut rx) = mailbox();
        assert!(rx.try_recv().is_none());
        tx.send(WorkerMsg::Pleg);
        tx.send(WorkerMsg::Delete(Some(3)));
        assert!(matches!(rx.recv().await, Some(WorkerMsg::Pleg)));
        assert!(matches!(rx.try_recv(), Some(WorkerMsg::Delete(Some(3)))));
        assert!(rx.try_recv().is_none());
        tx.send(WorkerMsg::Pleg);
        drop(tx);
        assert!(matches!(rx.recv().await, Some(WorkerMsg::Pleg)), "sent before the end");
        assert!(rx.recv().await.is_none());
    }

    #[tokio::test]
    async fn a_waiting_receiver_wakes_on_a_message_and_on_the_end() {
        let (tx, mut rx) = mailbox();
        let waiter = tokio::spawn(async move {
            let first = rx.recv().await;
            let second = rx.recv().await;
            (first.is_some(), second.is_none())
        });
        tokio::task::yield_now().await;
        tx.send(WorkerMsg::Pleg);
        drop(tx);
        assert_eq!(waiter.await.unwrap(), (true, true));
    }

    #[test]
    fn messages_to_an_ended_worker_are_dropped() {
        let (tx, rx) = mailbox();
        drop(rx);
        tx.send(WorkerMsg::Pleg);
        assert!(tx.0.state.lock().0.is_empty());
    }
}
