"""Ship the default scoring standard of domain-rules §5 (see ``xiaoneng.evaluation.defaults`` for the mapping)."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    from xiaoneng.evaluation.defaults import install_default

    install_default(apps.get_model("evaluation", "Standard"), apps.get_model("evaluation", "Category"),
                    apps.get_model("evaluation", "ScoringRule"), published_at=timezone.now())


def backwards(apps, schema_editor):
    from xiaoneng.evaluation.defaults import DEFAULT_NAME

    Standard = apps.get_model("evaluation", "Standard")
    if not apps.get_model("evaluation", "Period").objects.filter(standard__name=DEFAULT_NAME).exists():
        Standard.objects.filter(name=DEFAULT_NAME, number=1).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
