"""`python -m kiosk_client --config kiosk.toml [--windowed]` (the same as `tiepdon kiosk`)."""
import argparse
import logging
import os
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk_client", description="Tiếp Đón kiosk")
    parser.add_argument("--config", default=os.environ.get("TIEPDON_KIOSK_CONFIG", "config/kiosk.toml"))
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen (demo)")
    parser.add_argument("--printer-simulator", action="store_true",
                        help="print to a printer simulator inside this process (demo without hardware); "
                             "previews go to var/kiosk-printer/")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("TIEPDON_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from .config import KioskConfigError, load_config

    try:
        config = load_config(args.config)
    except KioskConfigError as exc:
        print(f"Cấu hình máy kiosk lỗi / kiosk configuration error: {exc}", file=sys.stderr)
        return 2
    if args.printer_simulator:
        import dataclasses

        from printer_drivers.simulator import PrinterSimulator

        previews = os.path.join(os.getcwd(), "var", "kiosk-printer")
        sim = PrinterSimulator("127.0.0.1", 0, save_dir=previews).start()
        config = dataclasses.replace(config, printer={"kind": "network", "host": "127.0.0.1", "port": sim.port})
        print(f"máy in giả lập / printer simulator: 127.0.0.1:{sim.port}, previews in {previews}")
    from .app import run

    run(config, windowed=args.windowed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
