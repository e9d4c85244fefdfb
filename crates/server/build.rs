//! Swagger UI for /docs (crates/server/src/docs.rs): the files its page loads, taken from the Swagger UI
//! release that utoipa-swagger-ui-vendored carries (a zip in the cargo registry, no download) and
//! gzip-compressed into OUT_DIR, where docs.rs embeds them. Only these files: the release's other bundles
//! (swagger-ui.js, the two ES-module bundles, ~2.3 MB, ~0.7 MB compressed) are never loaded by the page
//! (bench/README.md "Binary size").

use std::{
    env,
    error::Error,
    fs,
    io::{Cursor, Read, Write},
    path::Path,
};

use flate2::{Compression, write::GzEncoder};
use utoipa_swagger_ui_vendored::SWAGGER_UI_VENDORED;

/// The files of Swagger UI's `dist/` that /docs serves, with their content types: build.rs writes the
/// table docs.rs serves them from (`swagger-ui/files.rs`), so the list is only here.
const FILES: [(&str, &str); 9] = [
    ("index.html", "text/html"),
    ("index.css", "text/css"),
    ("swagger-ui.css", "text/css"),
    ("swagger-ui-bundle.js", "text/javascript"),
    ("swagger-ui-standalone-preset.js", "text/javascript"),
    ("favicon-16x16.png", "image/png"),
    ("favicon-32x32.png", "image/png"),
    ("oauth2-redirect.html", "text/html"),
    ("oauth2-redirect.js", "text/javascript"),
];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    let out = env::var("OUT_DIR")?;
    let out = Path::new(&out).join("swagger-ui");
    fs::create_dir_all(&out)?;
    let mut zip = zip::ZipArchive::new(Cursor::new(SWAGGER_UI_VENDORED))?;
    // `[(name, content type, gzip-compressed bytes), ...]`, included by docs.rs
    let mut table = String::from("[\n");
    for (name, content_type) in FILES {
        // entries are `swagger-ui-<version>/dist/<name>`
        let entry = zip
            .file_names()
            .filter_map(Result::ok)
            .map(|path| path.into_owned())
            .find(|path| {
                path.strip_suffix(name)
                    .is_some_and(|dir| dir.ends_with("/dist/") && dir.matches('/').count() == 2)
            })
            .ok_or_else(|| format!("{name} is not in the vendored Swagger UI"))?;
        let mut data = Vec::new();
        zip.by_name(&entry)?.read_to_end(&mut data)?;
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&data)?;
        let path = out.join(format!("{name}.gz"));
        fs::write(&path, gz.finish()?)?;
        let path = path.to_str().ok_or("OUT_DIR is not UTF-8")?;
        table +=
            &format!("    ({name:?}, {content_type:?}, include_bytes!({path:?}).as_slice()),\n");
    }
    table += "]\n";
    fs::write(out.join("files.rs"), table)?;
    Ok(())
}
