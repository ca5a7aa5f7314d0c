//! Renders a sample receipt through the encoder, parser and renderer, to look at by eye:
//! `cargo run -p printer --example render_receipt -- /tmp/receipt.png [font.ttc]`.

use printer::virtual_printer::{encode_png, parse_all, render, FontData};
use printer::{Align, EscPosBuilder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "receipt.png".into());
    let font_path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/fonts/wqy-microhei.ttc"
        )
        .into()
    });
    let font = FontData::from_bytes(std::fs::read(font_path)?)?;
    let job = EscPosBuilder::new()
        .init()
        .align(Align::Center)
        .bold(true)
        .size(2, 2)
        .line("市民服务中心")
        .bold(false)
        .size(1, 1)
        .line("自助服务回执")
        .align(Align::Left)
        .line("排队号: A012        窗口: 3号")
        .line("事项: 居住证办理")
        .line("费用: ¥0.00")
        .line("0123456789012345678901234567890123456789012345678901234567890")
        .align(Align::Right)
        .line("2026-01-01 09:30")
        .align(Align::Center)
        .qr("https://kiosk.example.gov.cn/t/A012", 6)
        .size(1, 2)
        .line("请妥善保管")
        .feed(2)
        .cut(true)
        .build();
    let receipt = parse_all(&job)
        .into_iter()
        .next()
        .ok_or("nothing printed")?;
    std::fs::write(&out, encode_png(&render(&receipt, &font)))?;
    println!("{out}");
    Ok(())
}
