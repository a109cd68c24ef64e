{#-
    Fails for each row whose column is smaller than on the previous row of its group, taken in
    the order of `order_by`: e.g. a person's stage entered_at must not go back in time.
-#}
{% test non_decreasing_within(model, column_name, group_by, order_by) %}
    with

    stepped as (
        select
            {{ group_by }} as group_key,
            {{ column_name }} as current_value,
            lag({{ column_name }}) over (
                partition by {{ group_by }}
                order by {{ order_by }}
            ) as previous_value
        from {{ model }}
    )

    select *
    from stepped
    where current_value < previous_value
{% endtest %}
