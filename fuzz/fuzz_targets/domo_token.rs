//! Fuzz target: Domo's token endpoint answer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    terraform_provider_domo::fuzzing::domo_token(data);
});
