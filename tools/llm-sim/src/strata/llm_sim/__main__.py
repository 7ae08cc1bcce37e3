"""`strata-llm-sim` / `python -m strata.llm_sim`: serve the simulator with uvicorn."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from strata.llm_sim.app import create_app
from strata.llm_sim.settings import Settings

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> None:
    settings = Settings()
    parser = argparse.ArgumentParser(prog="strata-llm-sim", description=__doc__)
    parser.add_argument("--host", default=settings.host, help="bind address (LLMSIM_HOST)")
    parser.add_argument("--port", type=int, default=settings.port, help="bind port (LLMSIM_PORT)")
    parser.add_argument(
        "--log-level", default=settings.log_level, help="uvicorn log level (LLMSIM_LOG_LEVEL)"
    )
    args = parser.parse_args(argv)
    settings = settings.model_copy(
        update={"host": args.host, "port": args.port, "log_level": args.log_level}
    )
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logger.info("strata-llm-sim listening on http://%s:%d", settings.host, settings.port)
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level=args.log_level
    )


if __name__ == "__main__":
    main()
