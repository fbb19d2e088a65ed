//! Discovery and OpenAPI documents (being written).
