//! Fuzz target: msgpack values as Terraform sends them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    terraform_provider_domo::fuzzing::msgpack_value(data);
});
