//! Object-store I/O of kspark: the local files of a submission go to the
//! upload path (`spark.kubernetes.file.upload.path`) on Azure Blob Storage /
//! ADLS Gen2 (`abfss://`, `abfs://`, `wasbs://`, `wasb://`), S3 (`s3a://`),
//! Google Cloud Storage (`gs://`) or a shared file system (`file://`),
//! through the `object_store` crate; [`Archive`] keeps logs that outlive
//! their pods in the same stores. Which files and under which names is
//! decided in kspark-config (`uploads::plan`); this crate only moves bytes.

mod archive;
mod error;
mod location;
mod stores;
mod upload;

pub use archive::Archive;
pub use error::StorageError;
pub use location::Location;
pub use stores::{EnvVars, HadoopConf};
pub use upload::{FileUpload, UploadTarget, Uploaded};
