import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
application = get_wsgi_application()

from xiaoneng.core.runtime import tune_gc  # noqa: E402 - needs the settings loaded above

tune_gc()
