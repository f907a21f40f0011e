//! The one place Domo client errors become Terraform diagnostics. The
//! client's messages already say what went wrong and what to do; this adds
//! which operation failed.

use crate::domo::DomoError;
use crate::protocol::Diagnostic;

#[derive(Clone, Copy, Debug)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    Import,
    List,
}

pub fn api_error(action: Action, err: &DomoError) -> Diagnostic {
    let summary = match action {
        Action::Create => "Could not create Domo user",
        Action::Read => "Could not read Domo user",
        Action::Update => "Could not update Domo user",
        Action::Delete => "Could not delete Domo user",
        Action::Import => "Could not import Domo user",
        Action::List => "Could not list Domo users",
    };
    Diagnostic::error(summary, capitalise(&err.to_string()))
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().chain(chars).collect();
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}
