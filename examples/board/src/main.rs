//! `lwm2m-board`: the simulated board on a host. Run it with `--help` for its options.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    lwm2m_board::host::main_with(&args, &args)
}
