//! Build script: nothing to generate; it exists so `protoc-bin-vendored` is a build-dependency.
fn main() {
    // Reference the crate so it is built (and so downloaded) before k8s-cri's build script.
    let _ = protoc_bin_vendored::include_path();
    println!("cargo:rerun-if-changed=build.rs");
}
