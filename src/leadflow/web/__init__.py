"""The web app's base: templates and layout, flash messages, CSRF, static assets served by leadflow itself."""
