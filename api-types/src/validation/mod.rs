//! Validation of names, labels, annotations and object metadata, with apimachinery's field error model.
//!
//! [`field`] holds the [`FieldPath`]/[`FieldError`] types the API server turns
//! into `422 Invalid` `Status` causes; [`names`] holds the string validators
//! (`IsDNS1123Subdomain` and friends) returning Kubernetes' exact messages;
//! [`meta`] validates `ObjectMeta`.

pub mod field;
pub mod meta;
pub mod names;

pub use field::{BadValue, ErrorType, FieldError, FieldErrors, FieldPath};
pub use meta::{NameValidator, validate_object_meta};
pub use names::{
    SimpleNameGenerator, generate_name, is_dns1035_label, is_dns1123_label, is_dns1123_subdomain,
    is_qualified_name, is_valid_label_value, is_valid_path_segment_name,
};
