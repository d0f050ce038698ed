pub mod local;
pub mod submit;
