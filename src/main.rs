use std::process::ExitCode;

fn main() -> ExitCode {
    provision::cli::main()
}
