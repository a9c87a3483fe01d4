//! Which model prefixes an API names, with where cortex.yaml names them.

use super::{Accelerator, DEFAULT_MODEL_NAME, ModelSource, ServingImage, WrittenKey};
use crate::config::ApiConfig;
use crate::rules::ApiCtx;
use crate::store::S3Path;

/// The accelerator an API runs on: GPU when `gpu > 0`, Inferentia when
/// `inf > 0`, CPU otherwise.
pub fn accelerator(config: &ApiConfig) -> Accelerator {
    let compute = config.compute.as_ref();
    if compute.and_then(|c| c.gpu).unwrap_or(0) > 0 {
        Accelerator::Gpu
    } else if compute.and_then(|c| c.inf).unwrap_or(0) > 0 {
        Accelerator::Inf
    } else {
        Accelerator::Cpu
    }
}

/// The TF Serving that loads the API's models. Setting the default image
/// explicitly is still the default image.
pub fn serving_image(api: &ApiCtx<'_>, accelerator: Accelerator) -> ServingImage {
    if accelerator == Accelerator::Inf {
        return ServingImage::Inferentia;
    }
    match &api.config.handler.tensorflow_serving_image {
        Some(image) if *image != crate::plan::default_serving_image(accelerator) => {
            ServingImage::Custom {
                image: image.clone(),
                span: api.value_span("handler.tensorflow_serving_image"),
            }
        }
        _ => ServingImage::Default,
    }
}

/// The model sources of one API (empty when its models section is unusable).
pub fn of_api(api: &ApiCtx<'_>) -> Vec<ModelSource> {
    let Some(models) = &api.config.handler.models else {
        return Vec::new();
    };
    let accelerator = accelerator(api.config);
    let serving = serving_image(api, accelerator);
    let written = |field: String, key: &str| WrittenKey {
        key: key.to_owned(),
        span: api.value_span(&field),
        field,
    };
    let default_key = models
        .signature_key
        .as_deref()
        .map(|k| written("handler.models.signature_key".to_owned(), k));
    let mut named: Vec<(Option<String>, String, &str, Option<WrittenKey>)> = Vec::new();
    if let Some(path) = &models.path {
        named.push((
            Some(DEFAULT_MODEL_NAME.to_owned()),
            "handler.models.path".to_owned(),
            path,
            default_key.clone(),
        ));
    }
    for (i, entry) in models.paths.iter().flatten().enumerate() {
        // a paths[] entry's own key wins over the default
        let key = match &entry.signature_key {
            Some(own) => Some(written(
                format!("handler.models.paths[{i}].signature_key"),
                own,
            )),
            None => default_key.clone(),
        };
        named.push((
            Some(entry.name.clone()),
            format!("handler.models.paths[{i}].path"),
            &entry.path,
            key,
        ));
    }
    if let Some(dir) = &models.dir {
        named.push((
            None,
            "handler.models.dir".to_owned(),
            dir,
            default_key.clone(),
        ));
    }
    named
        .into_iter()
        .filter_map(|(name, field, url, signature_key)| {
            Some(ModelSource {
                api: api.name.to_owned(),
                name,
                path: S3Path::parse(url)?,
                span: api.value_span(&field),
                field,
                accelerator,
                serving: serving.clone(),
                signature_key,
            })
        })
        .collect()
}
