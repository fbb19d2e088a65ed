//! A cloneable shutdown signal: one [`Shutdown`] trigger, any number of waiters.

use std::sync::Arc;

use tokio::sync::watch;

/// A shutdown signal. Clones share the signal: triggering one triggers every clone, and
/// [`Shutdown::child`] makes a signal that also fires when its parent does.
#[derive(Clone, Debug)]
pub struct Shutdown {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Shutdown {
    /// A signal that has not fired.
    pub fn new() -> Self {
        let (sender, _) = watch::channel(false);
        Shutdown { sender: Arc::new(sender) }
    }

    /// Fires the signal (idempotent).
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    /// Whether the signal has fired.
    pub fn is_triggered(&self) -> bool {
        *self.sender.borrow()
    }

    /// Resolves once the signal has fired.
    pub async fn wait(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = receiver.wait_for(|fired| *fired).await;
    }

    /// A new signal that fires when this one does (and can also fire alone).
    pub fn child(&self) -> Shutdown {
        let child = Shutdown::new();
        let parent = self.clone();
        let weak = Arc::downgrade(&child.sender);
        tokio::spawn(async move {
            let Some(strong) = weak.upgrade() else { return };
            let mut own = strong.subscribe();
            drop(strong);
            tokio::select! {
                () = parent.wait() => {
                    if let Some(sender) = weak.upgrade() {
                        sender.send_replace(true);
                    }
                }
                _ = own.wait_for(|fired| *fired) => {}
            }
        });
        child
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn children_fire_with_their_parent_but_not_the_other_way() {
        let parent = Shutdown::new();
        let child = parent.child();
        let grandchild = child.child();
        let sibling = parent.child();
        sibling.trigger();
        sibling.wait().await;
        assert!(!parent.is_triggered(), "a child does not stop its parent");
        assert!(!child.is_triggered());
        parent.trigger();
        child.wait().await;
        grandchild.wait().await;
        assert!(child.is_triggered() && grandchild.is_triggered());
        let clone = parent.clone();
        assert!(clone.is_triggered(), "clones share the signal");
    }
}
