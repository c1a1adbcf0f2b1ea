//! Classifying typical 100-300 byte page URLs (the anonymizer's share of the
//! page-load path, whose whole budget is 1.5 µs median).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hush_core::anonymize::{registrable_domain, Anonymizer};
use psl::Psl;

const URLS: &[&str] = &[
    "https://www.google.com/search?q=weather+in+jakarta+tomorrow&oq=weather+in+jakarta&aqs=chrome.0.69i59j0i512l9.4211j0j7&sourceid=chrome&ie=UTF-8",
    "https://www.bbc.co.uk/news/world-asia-52484123?intlink_from_url=https://www.bbc.co.uk/news/topics/cp7r8vgl2lgt/xiaomi&link_location=live-reporting-story",
    "https://m.facebook.com/story.php?story_fbid=10158231234567890&id=100044123456789&ref=bookmarks&refsrc=https%3A%2F%2Fm.facebook.com%2F",
    "https://shop.example.co.uk/products/blue-widget-deluxe-edition?variant=3921&utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale_2020#reviews",
    "https://someone.github.io/blog/2020/05/02/notes-on-building-a-privacy-first-analytics-pipeline-for-mobile-browsers.html?ref=hn",
    "https://www.amazon.in/Redmi-Note-Neptune-Blue-Storage/dp/B07X4R63DF/ref=sr_1_3?crid=2M096C61O4MLT&keywords=redmi+note+8&qid=1588400000&sr=8-3",
];

/// Hosts of the URLs above, and a few deeper or private-section ones.
const HOSTS: &[&str] = &[
    "www.google.com",
    "www.bbc.co.uk",
    "m.facebook.com",
    "shop.example.co.uk",
    "someone.github.io",
    "www.amazon.in",
    "a.b.c.kawasaki.jp",
    "bucket.s3.amazonaws.com",
];

fn bench(c: &mut Criterion) {
    let anon = Anonymizer::shipped();
    for url in URLS {
        assert!((100..=300).contains(&url.len()), "{} bytes", url.len());
    }
    let mut group = c.benchmark_group("anonymize");
    group.bench_function("page/mixed_100-300B", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % URLS.len();
            black_box(anon.page(black_box(URLS[i].as_bytes())))
        })
    });
    group.bench_function("page/allow_listed", |b| {
        b.iter(|| black_box(anon.page(black_box(URLS[1].as_bytes()))))
    });
    group.bench_function("page/other", |b| {
        b.iter(|| black_box(anon.page(black_box(URLS[3].as_bytes()))))
    });
    group.bench_function("search/google", |b| {
        b.iter(|| black_box(anon.search(black_box(URLS[0].as_bytes()))))
    });
    // An IDN as a browser hands it over (punycode), and the same in Unicode,
    // which is dropped.
    group.bench_function("page/idn", |b| {
        let url = "https://www.xn--bcher-kva.de/shop/fachbuecher/informatik-edv/programmiersprachen/rust/products_products/list/?sort=relevance&page=2";
        b.iter(|| black_box(anon.page(black_box(url.as_bytes()))))
    });
    group.bench_function("page/idn_unicode_dropped", |b| {
        let url = "https://www.bücher.de/shop/fachbuecher/informatik-edv/programmiersprachen/rust/products_products/list/?sort=relevance&page=2";
        b.iter(|| black_box(anon.page(black_box(url.as_bytes()))))
    });
    // The registrable domain alone: the table against the psl crate it
    // replaced, over the same hosts.
    group.bench_function("registrable/table", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % HOSTS.len();
            black_box(registrable_domain(black_box(HOSTS[i])))
        })
    });
    group.bench_function("registrable/psl_crate", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % HOSTS.len();
            black_box(psl::List.domain(black_box(HOSTS[i]).as_bytes()))
        })
    });
    group.bench_function("allow_list/lookup", |b| {
        b.iter(|| black_box(anon.domain_label(black_box("wikipedia.org"))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
