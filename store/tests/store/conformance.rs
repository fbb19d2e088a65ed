//! The conformance suite, generic over the Storage trait.
