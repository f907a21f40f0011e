//! Fuzz target: values read through the provider's schemas (typed object reader).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    terraform_provider_domo::fuzzing::schema_object(data);
});
