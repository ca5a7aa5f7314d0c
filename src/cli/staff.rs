//! `kiosk staff hash-pin`: reads a PIN on standard input and prints its argon2id PHC string
//! for `[[staff.badges]] pin_hash` in kiosk.toml. The PIN never appears on a command line
//! (where `ps` and the shell's history would keep it).

use std::io::BufRead;

use crate::service::pin::PinHash;

/// `kiosk staff …`.
#[derive(clap::Subcommand)]
pub enum StaffCommand {
    /// Reads a PIN (4 to 8 digits) from standard input, prints its argon2id hash.
    HashPin,
}

/// Runs the command.
pub fn run(c: StaffCommand) -> anyhow::Result<()> {
    match c {
        StaffCommand::HashPin => {
            let stdin = std::io::stdin();
            let mut line = String::new();
            stdin.lock().read_line(&mut line)?;
            println!("{}", hash_pin(&line).map_err(anyhow::Error::msg)?);
            Ok(())
        }
    }
}

/// The PHC string for the PIN on `line` (trailing newline allowed), or why it is refused.
pub fn hash_pin(line: &str) -> Result<String, String> {
    let pin = line.trim_end_matches(['\n', '\r']);
    let max = crate::app::staff::PIN_MAX;
    if pin.len() < 4 || pin.len() > max || !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "a PIN is 4 to {max} digits (the pad has digits only)"
        ));
    }
    PinHash::hash(pin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_line_becomes_a_hash_that_verifies() {
        let line = hash_pin("135790\n").unwrap();
        assert!(PinHash::parse(&line).unwrap().verify("135790"));
        assert!(hash_pin("12\n").is_err());
        assert!(hash_pin("12a456").is_err());
        assert!(hash_pin("123456789").is_err());
    }
}
