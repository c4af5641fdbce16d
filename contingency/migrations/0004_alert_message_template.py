# An alert keeps its message as an English template and its values, shown in the reader's language.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contingency", "0003_archive"),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="message_template",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="The message as an English template with its placeholders",
                verbose_name="Message template",
            ),
        ),
        migrations.AddField(
            model_name="alert",
            name="message_params",
            field=models.JSONField(
                blank=True,
                default=dict,
                editable=False,
                help_text="What fills the template",
                verbose_name="Message values",
            ),
        ),
    ]
