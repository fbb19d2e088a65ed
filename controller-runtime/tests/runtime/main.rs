//! Integration tests of the controller runtime against a real API server in-process
//! (`TestEnv`: apiserver-core on the memory store).

mod controller;
mod cronjob;
mod daemonset;
mod deployment;
mod disruption;
mod endpointslice;
mod events;
mod example;
mod finalizers;
mod garbage_collector;
mod informer;
mod job;
mod leader_election;
mod manager;
mod namespace;
mod node_lifecycle;
mod podgc;
mod replicaset;
mod root_ca;
mod statefulset;
mod support;
mod ttl;
mod workloads;
