//! Compiles the .proto specification with protox (pure Rust: no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files = vec![
        "eproxy/v1/scope.proto",
        "eproxy/v1/delegation.proto",
        "eproxy/v1/contract_terms.proto",
        "eproxy/v1/enrollment.proto",
        "eproxy/v1/evidence.proto",
        "eproxy/v1/registry_request.proto",
        "eproxy/v1/signed_content.proto",
    ];
    // The gRPC API only with the `grpc` feature: verifiers read the signed formats alone.
    if std::env::var_os("CARGO_FEATURE_GRPC").is_some() {
        files.push("eproxy/registry/v1/registry.proto");
    }
    println!("cargo:rerun-if-changed=eproxy/registry/v1/registry.proto");
    for file in &files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(&files, ["."])?;
    // The encoded descriptors, for the registry's gRPC reflection service.
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR unset")?);
    std::fs::write(
        out.join("descriptors.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
