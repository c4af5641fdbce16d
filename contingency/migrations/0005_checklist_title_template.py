# A live-drill checklist task keeps its title as an English template and its values, shown in the reader's language.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contingency", "0004_alert_message_template"),
    ]

    operations = [
        migrations.AddField(
            model_name="checklistitem",
            name="title_template",
            field=models.CharField(blank=True, editable=False, max_length=300, verbose_name="Title template"),
        ),
        migrations.AddField(
            model_name="checklistitem",
            name="title_params",
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name="Title values"),
        ),
    ]
