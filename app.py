"""Gradio chat front end. The app itself ships inside the package
(`assistant/app/web.py`: `build_app(assistant) -> gr.Blocks`, `main()`), so a regular wheel
install has it; this file lets `python app.py` start it from a checkout."""

from assistant.app.web import build_app, main

__all__ = ["build_app", "main"]

if __name__ == "__main__":
    main()
