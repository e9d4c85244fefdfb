use std::process::ExitCode;

fn main() -> ExitCode {
    todobot::malloc::apply();
    todobot::cli::main()
}
