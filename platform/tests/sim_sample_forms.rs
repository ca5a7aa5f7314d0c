//! Sample forms: the library with its `ETag`, page images, and the phone page, client ↔
//! simulator over real HTTP.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use kiosk_platform::api::sample_forms::{phone_path, PageKind};
use kiosk_platform::client::LibraryFetch;
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use kiosk_platform::{ClientError, PlatformClient};

const TIMEOUT: Duration = Duration::from_secs(30);

fn start(db: &std::path::Path) -> (SimServer, PlatformClient) {
    let sim = SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(db),
    )
    .unwrap();
    let client = PlatformClient::new(
        &sim.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        TIMEOUT,
    );
    (sim, client)
}

/// A plain GET as a phone's browser sends it: status, head and body bytes.
fn get(url: &str) -> (u16, String, Vec<u8>) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status = head[9..12].parse().unwrap();
    (status, head, answer[split + 4..].to_vec())
}

#[test]
fn the_library_comes_with_an_etag_and_is_not_sent_again_while_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, client) = start(&dir.path().join("p.db"));
    let LibraryFetch::Modified {
        library,
        etag,
        body,
    } = client.form_library(None).unwrap()
    else {
        panic!("first fetch must carry the library");
    };
    assert!(library.forms.len() >= 200);
    assert!(library.departments.len() >= 15);
    assert!(body.contains(&library.forms[0].name_zh));
    let etag = etag.expect("an etag");
    assert_eq!(
        client.form_library(Some(&etag)).unwrap(),
        LibraryFetch::NotModified
    );
    assert!(matches!(
        client.form_library(Some("\"stale\"")).unwrap(),
        LibraryFetch::Modified { .. }
    ));
}

#[test]
fn page_images_are_pngs_for_every_page_and_kind_and_refused_past_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, client) = start(&dir.path().join("p.db"));
    let LibraryFetch::Modified { library, .. } = client.form_library(None).unwrap() else {
        panic!()
    };
    let form = library.forms.iter().find(|f| f.pages == 2).unwrap();
    for kind in [PageKind::Blank, PageKind::Sample] {
        for page in 1..=form.pages {
            let png = client.form_page(&form.id, kind, page).unwrap();
            let reader = png::Decoder::new(std::io::Cursor::new(&png))
                .read_info()
                .unwrap();
            assert_eq!((reader.info().width, reader.info().height), (1240, 1754));
        }
    }
    // The second time comes from the simulator's own cache: the same bytes.
    let again = client.form_page(&form.id, PageKind::Sample, 1).unwrap();
    assert_eq!(
        again,
        client.form_page(&form.id, PageKind::Sample, 1).unwrap()
    );
    match client.form_page(&form.id, PageKind::Blank, 3) {
        Err(ClientError::Http { status: 404, .. }) => {}
        other => panic!("page 3 of 2: {other:?}"),
    }
    assert!(client.form_page("../x", PageKind::Blank, 1).is_err());
}

#[test]
fn the_phone_page_shows_the_form_and_its_pictures_from_this_server_only() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, client) = start(&dir.path().join("p.db"));
    let LibraryFetch::Modified { library, .. } = client.form_library(None).unwrap() else {
        panic!()
    };
    let form = &library.forms[0];
    let (status, head, body) = get(&format!("{}{}", sim.base_url(), phone_path(&form.id)));
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, 200);
    assert!(html.contains(&form.name_zh), "{html}");
    assert!(head.contains("img-src 'self'"), "{head}");
    let img = format!("/m/forms/{}/sample/1.png", form.id);
    assert!(html.contains(&img));
    let (status, head, png) = get(&format!("{}{img}", sim.base_url()));
    assert_eq!(status, 200);
    assert!(head
        .to_ascii_lowercase()
        .contains("content-type: image/png"));
    assert!(png.starts_with(b"\x89PNG"));
    let (status, _, body) = get(&format!("{}/m/forms/NOPE", sim.base_url()));
    assert_eq!(status, 404);
    assert!(String::from_utf8(body).unwrap().contains("未找到此样表"));
}
