"""What the app does when a server starts it (its lifespan), which httpx's transport skips."""

import gc

from fastapi import FastAPI


async def test_startup_moves_what_it_built_out_of_the_collectors_reach(app: FastAPI) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
