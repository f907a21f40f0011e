//! Fuzz target: JSON values as Terraform stores state.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    terraform_provider_domo::fuzzing::json_value(data);
});
