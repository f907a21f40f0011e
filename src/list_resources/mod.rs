//! List resources: what `list` blocks of `terraform query` (Terraform 1.14
//! and later) find in Domo, one file each. Each lists the objects of the
//! managed resource of the same name, with their identities, from Domo's
//! paged listings as they arrive; the framework does the rest.

pub mod group;
pub mod user;
