//! Fuzz target: Domo's user and user-list answers.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    terraform_provider_domo::fuzzing::domo_user(data);
});
