// The drill schedule builder (templates/contingency/schedule_form.html): the repeat, time, weekday and day of the
// month fill the cron field as they are chosen; "a cron expression" leaves the cron to be typed. The server computes
// the same cron again (contingency/schedule_times.py), so this only shows what will be saved.
(function () {
  function field(form, name) {
    return form.querySelector("[name='" + name + "']");
  }

  function wrapper(input) {
    return input ? input.closest(".field") : null;
  }

  function cronOf(repeat, at, weekday, day) {
    var parts = /^(\d{1,2}):(\d{2})/.exec(at || "");
    if (!parts) {
      return null;
    }
    var minute = String(parseInt(parts[2], 10));
    var hour = String(parseInt(parts[1], 10));
    if (repeat === "daily") {
      return minute + " " + hour + " * * *";
    }
    if (repeat === "weekly" && weekday !== "") {
      return minute + " " + hour + " * * " + weekday;
    }
    var dayNumber = parseInt(day, 10);
    if (repeat === "monthly" && dayNumber >= 1 && dayNumber <= 28) {
      return minute + " " + hour + " " + dayNumber + " * *";
    }
    return null;
  }

  function update(form) {
    var repeat = field(form, "repeat").value;
    var custom = repeat === "custom";
    var toggles = { at: !custom, weekday: repeat === "weekly", day_of_month: repeat === "monthly" };
    Object.keys(toggles).forEach(function (name) {
      var box = wrapper(field(form, name));
      if (box) {
        box.hidden = !toggles[name];
      }
    });
    var cron = field(form, "cron");
    cron.readOnly = !custom;
    if (!custom) {
      var made = cronOf(repeat, field(form, "at").value, field(form, "weekday").value, field(form, "day_of_month").value);
      if (made) {
        cron.value = made;
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-schedule-builder]");
    if (!form) {
      return;
    }
    ["repeat", "at", "weekday", "day_of_month"].forEach(function (name) {
      var input = field(form, name);
      if (input) {
        input.addEventListener("input", function () { update(form); });
        input.addEventListener("change", function () { update(form); });
      }
    });
    update(form);
  });
})();
