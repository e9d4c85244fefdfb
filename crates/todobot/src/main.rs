use std::process::ExitCode;

fn main() -> ExitCode {
    todobot::cli::main()
}
