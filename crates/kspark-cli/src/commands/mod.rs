pub mod apps;
pub mod auth;
pub mod doctor;
pub mod follow;
pub mod local;
mod packages;
pub mod submit;
pub mod tenant;
pub mod uploads;
