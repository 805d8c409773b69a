//! Compiles the .proto specification with protox (pure Rust: no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "eproxy/v1/scope.proto",
        "eproxy/v1/delegation.proto",
        "eproxy/v1/contract_terms.proto",
        "eproxy/v1/signed_content.proto",
        "eproxy/v1/evidence.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["."])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
